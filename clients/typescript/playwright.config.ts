/**
 * The package's own tests, against a running tdm server (`TEST_DATA_MANAGER_URL`) whose shop
 * is at `AUTH_SERVICE_URL` and `BACKEND_URL` (`tdm serve --demo` prints all three):
 * `unit` exercises the client over HTTP, `e2e` the fixtures in Chromium (`CHROMIUM`, default
 * Debian's `/usr/bin/chromium`). `TDM_JSON_REPORT` adds a JSON report at that path.
 */

import { defineConfig, type ReporterDescription } from "@playwright/test";

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const reporter: ReporterDescription[] = [["list"]];
if (process.env["TDM_JSON_REPORT"]) {
  reporter.push(["json", { outputFile: process.env["TDM_JSON_REPORT"] }]);
}

export default defineConfig({
  globalSetup: "./test/e2e/global-setup.ts",
  globalTeardown: "./test/e2e/global-teardown.ts",
  reporter,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  projects: [
    { name: "unit", testDir: "test/unit" },
    {
      name: "e2e",
      testDir: "test/e2e",
      use: {
        baseURL: process.env["BACKEND_URL"] ?? "http://localhost:8000",
        launchOptions: {
          executablePath: process.env["CHROMIUM"] ?? "/usr/bin/chromium",
          args: CHROMIUM_ARGS,
        },
      },
    },
  ],
});
