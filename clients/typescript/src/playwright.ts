/**
 * Playwright Test fixtures: `import { test, expect } from "@tdm/client/playwright"`.
 *
 * - `tdm` (per test): a {@link TestDataManager} whose data is removed after the test. When
 *   the test did not pass (or did not end as expected), one JSON attachment, `test-data`,
 *   holds what it created, as the API returned it, and the seed that replays it.
 * - `tdmRunId` (per worker): the run the worker's data is tracked under, `<suite run>-w<n>`,
 *   so parallel workers never share one. The worker holds it (a lease it renews) for its life
 *   and releases it when it ends, so a killed worker's data is reaped once the lease runs out.
 *   The suite's run is `TDM_RUN_ID`, which {@link globalSetup} makes (and holds while the
 *   suite runs) when it is not set; {@link globalTeardown} removes this suite's runs, and only
 *   those, and then releases the suite's run.
 * - Options: `tdmSeed` (replay one test's data), `tdmClientOptions` (URL, token, timeouts),
 *   `tdmWorkerKeep` (what a worker's run keeps when the worker ends).
 *
 * `n` is the worker's `parallelIndex` (0 to workers - 1): workers running at the same time
 * never share one, and unlike `workerIndex`, which grows each time a worker is replaced after
 * a failure, the teardown can list them all.
 */

import {
  test as base,
  expect,
  type FullConfig,
  type PlaywrightTestArgs,
  type PlaywrightTestOptions,
  type PlaywrightWorkerArgs,
  type PlaywrightWorkerOptions,
  type TestInfo,
  type TestType,
} from "@playwright/test";

import { type ClientOptions, RUN_ID_SETTING, TestDataManager } from "./client.js";
import type { Keep } from "./holding.js";
import { childRunId, newRunId, newSeed } from "./ids.js";
import type { AnyKinds, AnyScenarios, CleanupReport, KindMapOf, ScenarioMapOf } from "./types.js";

export { expect };

/** The name of the attachment a test that did not pass gets. */
export const ATTACHMENT = "test-data";

/** Set by {@link globalSetup} to the suite's run: its workers' runs are the teardown's to remove. */
export const SUITE_SETTING = "TDM_PLAYWRIGHT_SUITE";

/**
 * How long a worker's run keeps what its tests left once the worker ends, when the suite's
 * {@link globalTeardown} removes it (so the server's reaper does not race the teardown).
 */
export const TEARDOWN_KEEP = "10m";

export interface TdmTestArgs<S extends ScenarioMapOf<S>, K extends KindMapOf<K>> {
  /** This test's client; what it creates is removed after the test. */
  tdm: TestDataManager<S, K>;
  /** Option: the seed of this test's data (default: a fresh one, reported on failure). */
  tdmSeed: string | undefined;
}

export interface TdmWorkerArgs {
  /** The run this worker's data is tracked under (`<suite run>-w<parallelIndex>`). */
  tdmRunId: string;
  /** Option: how the `tdm` clients reach the server (default: the environment's settings). */
  tdmClientOptions: ClientOptions;
  /**
   * Option: how long the worker's run keeps what its tests left once the worker ends (`"1h"`,
   * or seconds). Default: {@link TEARDOWN_KEEP} under {@link globalSetup}, whose teardown
   * removes it; else nothing, and the server's reaper removes it.
   */
  tdmWorkerKeep: Keep | undefined;
}

/** Playwright's `test` with the tdm fixtures, typed by a scenario map and a kind map. */
export type TdmTest<S extends ScenarioMapOf<S>, K extends KindMapOf<K>> = TestType<
  PlaywrightTestArgs & PlaywrightTestOptions & TdmTestArgs<S, K>,
  PlaywrightWorkerArgs & PlaywrightWorkerOptions & TdmWorkerArgs
>;

/** The run of one worker of a suite run (with the shard, when the suite is sharded). */
export function workerRunId(
  suiteRunId: string,
  parallelIndex: number,
  shard: FullConfig["shard"] = null,
): string {
  const part = shard ? `s${shard.current}-w${parallelIndex}` : `w${parallelIndex}`;
  return childRunId(suiteRunId, part);
}

/** Every run a suite run's data can be under: its own (module-level clients) and its workers'. */
export function suiteRunIds(config: FullConfig, suiteRunId: string): string[] {
  const workers = Array.from({ length: Math.max(config.workers, 1) }, (_, index) =>
    workerRunId(suiteRunId, index, config.shard),
  );
  return [suiteRunId, ...workers];
}

/** Whether a finished test deserves its data in the report. */
function didNotPass(testInfo: TestInfo): boolean {
  const status = testInfo.status;
  return (status !== "passed" && status !== "skipped") || status !== testInfo.expectedStatus;
}

function describeLeft(report: CleanupReport): string {
  return [...report.failed, ...report.unverified]
    .map((left) => `${left.entityType} ${left.entityId ?? "?"} (${left.trackingId}): ${left.reason}`)
    .join("; ");
}

/** `@playwright/test`'s `test` with the `tdm` fixtures, untyped (see {@link typedTest}). */
export const test: TdmTest<AnyScenarios, AnyKinds> = base.extend<
  TdmTestArgs<AnyScenarios, AnyKinds>,
  TdmWorkerArgs
>({
  tdmClientOptions: [{}, { scope: "worker", option: true }],
  tdmWorkerKeep: [undefined, { scope: "worker", option: true }],
  tdmRunId: [
    async ({ tdmClientOptions, tdmWorkerKeep }, use, workerInfo) => {
      const suite = process.env[RUN_ID_SETTING] || newRunId();
      const runId = workerRunId(suite, workerInfo.parallelIndex, workerInfo.config.shard);
      const holder = new TestDataManager({ ...tdmClientOptions, runId, hold: true });
      await holder.hold();
      try {
        await use(runId);
      } finally {
        const torndown = process.env[SUITE_SETTING] === suite;
        await holder.release(tdmWorkerKeep ?? (torndown ? TEARDOWN_KEEP : undefined));
      }
    },
    { scope: "worker", box: true },
  ],
  tdmSeed: [undefined, { option: true }],
  tdm: [
    async ({ tdmRunId, tdmSeed, tdmClientOptions }, use, testInfo) => {
      const seed = tdmSeed ?? newSeed();
      const testId = testInfo.titlePath.join(" > ");
      // The worker holds the run: a test's client never does (it is never closed).
      const options = { ...tdmClientOptions, runId: tdmRunId, testId, seed, hold: false };
      const tdm = new TestDataManager(options);
      await use(tdm);
      const created = tdm.getCreatedEntities();
      let cleanup: CleanupReport | { error: string };
      let failure: unknown;
      try {
        cleanup = await tdm.cleanup();
      } catch (error) {
        failure = error;
        cleanup = { error: error instanceof Error ? error.message : String(error) };
      }
      if (didNotPass(testInfo)) {
        const data = {
          seed,
          replay: `test.use({ tdmSeed: "${seed}" })`,
          runId: tdmRunId,
          testId,
          baseUrl: tdm.baseUrl,
          created,
          cleanup,
        };
        await testInfo.attach(ATTACHMENT, {
          body: JSON.stringify(data, null, 2),
          contentType: "application/json",
        });
      }
      if (failure !== undefined) {
        throw failure;
      }
      if ("complete" in cleanup && !cleanup.complete) {
        const description = `left and still tracked under run ${tdmRunId}: ${describeLeft(cleanup)}`;
        testInfo.annotations.push({ type: "tdm-leftovers", description });
      }
    },
    { box: true },
  ],
});

/**
 * `test` with the `tdm` fixture typed by generated maps:
 * `export const test = typedTest<ScenarioMap, KindMap>()`. (`mergeTests` combines it with a
 * suite's own fixtures.)
 */
export function typedTest<
  S extends ScenarioMapOf<S>,
  K extends KindMapOf<K> = AnyKinds,
>(): TdmTest<S, K> {
  return test as unknown as TdmTest<S, K>;
}

export interface GlobalSetupOptions {
  /** How the setup reaches the server (default: the environment's settings). */
  client?: ClientOptions;
  /** How long to wait for the server to be healthy (default 30 000). */
  waitMs?: number;
  /** Accept `degraded` as ready. */
  allowDegraded?: boolean;
  /** Seed the baseline data (default true); `"force"` also resets it. */
  seed?: boolean | "force";
  /**
   * Hold the suite's run while the suite runs (released by {@link globalTeardown}); default:
   * when the setup made it up (no `TDM_RUN_ID`: one given is its giver's to hold).
   */
  hold?: boolean;
}

const HOLDS = Symbol.for("@tdm/client/playwright: held suite runs");

/**
 * The suite runs this process holds, for the teardown to release: on `globalThis`, since
 * the setup and the teardown are loaded as modules of their own (in the runner's process).
 */
function suiteHolds(): Map<string, TestDataManager> {
  const scope = globalThis as { [HOLDS]?: Map<string, TestDataManager> };
  return (scope[HOLDS] ??= new Map());
}

/**
 * A `globalSetup`: sets `TDM_RUN_ID` (the suite's run) unless it is set, waits until the
 * server is healthy and seeds the baseline. In `global-setup.ts`:
 * `export default globalSetup();`
 */
export function globalSetup(options: GlobalSetupOptions = {}): (config: FullConfig) => Promise<void> {
  return async () => {
    const given = process.env[RUN_ID_SETTING];
    const suite = given || newRunId();
    process.env[RUN_ID_SETTING] = suite;
    process.env[SUITE_SETTING] = suite;
    const hold = options.hold ?? !given;
    const tdm = new TestDataManager({ ...options.client, runId: suite, hold });
    const waitOptions = options.allowDegraded === undefined ? {} : { allowDegraded: options.allowDegraded };
    const health = await tdm.waitForHealthy(options.waitMs ?? 30_000, waitOptions);
    if (hold) {
      await tdm.hold();
      suiteHolds().set(suite, tdm);
    }
    const said = [`${tdm.baseUrl} is ${health.status}`, `suite run ${suite}`];
    if (hold) {
      said.push("held by this runner");
    }
    if (options.seed ?? true) {
      said.push(`seeded: ${JSON.stringify(await tdm.seed(options.seed === "force"))}`);
    }
    console.log(`tdm: ${said.join("; ")}`);
  };
}

export interface GlobalTeardownOptions {
  /** How the teardown reaches the server (default: the environment's settings). */
  client?: ClientOptions;
}

/**
 * A `globalTeardown`: removes what this suite run left, run by run (the suite's and each
 * worker's), then releases the suite's run if {@link globalSetup} held it; other suites' data
 * and the baseline stay. In `global-teardown.ts`:
 * `export default globalTeardown();`
 */
export function globalTeardown(
  options: GlobalTeardownOptions = {},
): (config: FullConfig) => Promise<void> {
  return async (config) => {
    const suite = process.env[RUN_ID_SETTING];
    if (!suite) {
      console.warn(`tdm: no ${RUN_ID_SETTING}, so nothing to remove (is globalSetup configured?)`);
      return;
    }
    const held = suiteHolds().get(suite);
    suiteHolds().delete(suite);
    const tdm = new TestDataManager({ ...options.client, runId: suite, hold: false });
    let reports: CleanupReport[];
    try {
      reports = await Promise.all(suiteRunIds(config, suite).map((id) => tdm.cleanupRun(id)));
    } finally {
      await held?.release(); // what a failed cleanup left, the reaper removes
    }
    const removed = reports.reduce(
      (sum, report) => sum + Object.values(report.deleted).reduce((a, b) => a + b, 0),
      0,
    );
    const left = reports.filter((report) => !report.complete).map(describeLeft);
    const entities = removed === 1 ? "entity" : "entities";
    console.log(`tdm: removed ${removed} ${entities} left by suite run ${suite}`);
    if (left.length > 0) {
      console.warn(`tdm: left and still tracked: ${left.join("; ")}`);
    }
  };
}
