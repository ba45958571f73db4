/** The runs a tdm server knows (`GET /api/runs`), as its operators see them. */

import type { RunInfo } from "@tdm/client";

/** The server's URL and token, as the tests' harness sets them. */
export const SERVER = {
  url: process.env["TEST_DATA_MANAGER_URL"] ?? "http://localhost:3001",
  token: process.env["TDM_API_TOKEN"],
};

function headers(): Record<string, string> {
  return SERVER.token ? { authorization: `Bearer ${SERVER.token}` } : {};
}

/** The run `runId` as `GET /api/runs` lists it, or `undefined` when it lists no such run. */
export async function listedRun(runId: string): Promise<RunInfo | undefined> {
  const answer = await fetch(`${SERVER.url}/api/runs?limit=1000`, { headers: headers() });
  if (answer.status !== 200) {
    throw new Error(`GET /api/runs answered ${answer.status}: ${await answer.text()}`);
  }
  const { items } = (await answer.json()) as { items: RunInfo[] };
  return items.find((run) => run.runId === runId);
}

/** What the ledger tracks under `runId` (`GET /api/tracked`). */
export async function trackedIn(runId: string): Promise<Array<Record<string, unknown>>> {
  const query = new URLSearchParams({ runId });
  const answer = await fetch(`${SERVER.url}/api/tracked?${query}`, { headers: headers() });
  return ((await answer.json()) as { items: Array<Record<string, unknown>> }).items;
}
