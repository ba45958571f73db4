/**
 * Runs held by the client, and creates retried after a lost answer, against the real tdm
 * server: what `GET /api/runs` lists, what the ledger tracks and what the shop holds.
 * (The server of these tests renews leases often: `TDM_HEARTBEAT_INTERVAL=1`.)
 */

import { execFile } from "node:child_process";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { expect, test } from "@playwright/test";

import { newRunId, type RunInfo, TestDataManager } from "@tdm/client";

import { listedRun, SERVER, trackedIn } from "../support/runs";
import { Shop } from "../support/shop";

const shop = new Shop();
/** The settings of a client that must make up its run id (this runner sets `TDM_RUN_ID`). */
const OWN_RUN = { TEST_DATA_MANAGER_URL: SERVER.url, TDM_API_TOKEN: SERVER.token };

/** The run as listed once `check` holds of it, polled up to a generous deadline. */
async function runOnce(runId: string, check: (run: RunInfo | undefined) => boolean) {
  let run: RunInfo | undefined;
  await expect
    .poll(async () => check((run = await listedRun(runId))), { timeout: 30_000, intervals: [100] })
    .toBe(true);
  return run;
}

test("a client that made up its run id holds it while open and ends it on close", async () => {
  const tdm = new TestDataManager({ env: OWN_RUN });
  expect(await listedRun(tdm.runId)).toBeUndefined(); // held from the first create on
  const { users } = await tdm.createUser();

  const held = await listedRun(tdm.runId);
  expect(held).toMatchObject({ runId: tdm.runId, state: "held", holder: tdm.holder, records: 1 });
  expect(tdm.holder).toMatch(/^typescript:.+:\d+:[0-9a-f]{8}$/);
  const first = Date.parse(held!.leaseUntil!);
  // The timer renews the lease: it moves on while the client is open.
  const renewed = await runOnce(tdm.runId, (run) => Date.parse(run?.leaseUntil ?? "") > first);
  expect(renewed).toMatchObject({ state: "held", holder: tdm.holder });

  await tdm.cleanup();
  await tdm.close();

  const ended = await listedRun(tdm.runId);
  expect(ended === undefined || (ended.state === "expired" && ended.holder === null)).toBe(true);
  expect(await shop.users(users[0]!.email)).toEqual([]);
});

test("a released run's leftovers are kept as long as asked; disposing releases too", async () => {
  const kept = new TestDataManager({ env: OWN_RUN, keep: "1h" });
  const { users } = await kept.createUser();
  await kept[Symbol.asyncDispose]();
  const run = await listedRun(kept.runId);
  expect(run).toMatchObject({ state: "kept", holder: null, records: 1 });
  expect(Date.parse(run!.keepUntil!)).toBeGreaterThan(Date.parse(run!.createdAt!) + 50 * 60_000);
  expect(await shop.users(users[0]!.email)).toHaveLength(1);

  await kept.cleanupRun(); // a client that holds nothing cleans up all the same
  expect(await shop.users(users[0]!.email)).toEqual([]);
  expect((await listedRun(kept.runId))?.state).not.toBe("held");
});

/** A script that holds a run and ends without closing its client: it must exit by itself. */
const FORGETFUL = `
const { TestDataManager } = require("@tdm/client");
const tdm = new TestDataManager();
tdm.createUser().then((r) => console.log(JSON.stringify({ runId: tdm.runId, holder: tdm.holder, user: r.users[0] })));
`;

test("a client that is never closed does not keep Node alive; its lease is left to run out", async () => {
  const env = { ...process.env, ...OWN_RUN, TDM_RUN_ID: "" };
  const printed = await new Promise<string>((resolve, reject) => {
    // The deadline is generous: only a process that never exits reaches it.
    execFile(process.execPath, ["-e", FORGETFUL], { env, timeout: 60_000 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
  const { runId, holder, user } = JSON.parse(printed) as { runId: string; holder: string; user: { email: string } };
  expect(await listedRun(runId)).toMatchObject({ state: "held", holder, records: 1 });
  expect(await shop.users(user.email)).toHaveLength(1);

  await new TestDataManager({ runId }).cleanupRun(); // rather than wait for the reaper
  expect(await shop.users(user.email)).toEqual([]);
});

test("a run id given to the client is not held by it, unless it is told to", async () => {
  const given = new TestDataManager({ runId: newRunId("run-unit") });
  const fromEnv = new TestDataManager({ env: { ...OWN_RUN, TDM_RUN_ID: newRunId("run-unit") } });
  for (const tdm of [given, fromEnv]) {
    await tdm.createUser();
    const run = await listedRun(tdm.runId);
    expect(run?.state).not.toBe("held");
    expect(run?.holder ?? null).toBeNull();
    await tdm.cleanupRun();
    await tdm.close(); // nothing to release
  }

  // Any run id the server takes, `/`, `:`, `+` and `@` too, is held and released by its path.
  const told = new TestDataManager({ runId: newRunId("ci/job:7+u@unit"), hold: true });
  await told.createUser();
  expect(await listedRun(told.runId)).toMatchObject({ state: "held", holder: told.holder });
  await told.cleanupRun();
  await told.close();
  expect((await listedRun(told.runId))?.state).not.toBe("held");
});

function forwarded(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !["host", "connection", "content-length", "keep-alive"].includes(name)) {
      kept[name] = Array.isArray(value) ? value.join(", ") : value;
    }
  }
  return kept;
}

interface Passed {
  method: string;
  url: string;
  key: string | undefined;
  body: string;
  /** What the server answered; `dropped`: the client never got it. */
  status: number;
  answer: unknown;
  replayed: string | null;
  dropped: boolean;
}

/**
 * A proxy in front of the tdm server that forwards every request and answers with the
 * server's answer, except the first to `path`: the server serves it, and the proxy drops the
 * connection instead of answering (a network that loses an answer).
 */
async function losingFirstAnswer(upstream: string, path: string): Promise<{
  url: string;
  passed: Passed[];
  server: Server;
}> {
  const passed: Passed[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      const body = Buffer.concat(chunks).toString();
      const init: RequestInit = { method: request.method!, headers: forwarded(request.headers) };
      if (body) {
        init.body = body;
      }
      const answer = await fetch(`${upstream}${request.url}`, init);
      const text = await answer.text();
      const drop = request.url === path && !passed.some((p) => p.url === path);
      passed.push({
        method: request.method!,
        url: request.url!,
        key: request.headers["idempotency-key"] as string | undefined,
        body,
        status: answer.status,
        answer: JSON.parse(text),
        replayed: answer.headers.get("idempotent-replayed"),
        dropped: drop,
      });
      if (drop) {
        request.socket.destroy();
        return;
      }
      response.writeHead(answer.status, { "content-type": "application/json" });
      response.end(text);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, passed, server };
}

test("a create whose answer is lost is sent again with its key and creates one entity", async () => {
  const { url, passed, server } = await losingFirstAnswer(SERVER.url, "/api/users");
  const tdm = new TestDataManager({ baseUrl: url, runId: newRunId("run-unit"), retryDelayMs: 10 });
  let result;
  try {
    result = await tdm.createUser({ fullName: "Lost Answer" });
  } finally {
    server.close();
  }

  const creates = passed.filter((p) => p.url === "/api/users");
  expect(creates.map((p) => [p.dropped, p.status, p.replayed])).toEqual([
    [true, 201, null],
    [false, 201, "true"],
  ]);
  const [lost, retried] = creates as [Passed, Passed];
  expect(lost.key).toMatch(/^[0-9a-f-]{36}$/);
  expect(retried.key).toBe(lost.key);
  expect(retried.body).toBe(lost.body);
  // The retry's answer is the lost one: the user the server made, made once.
  const made = (lost.answer as { users: Array<{ id: number; email: string }> }).users[0]!;
  expect(result.users).toEqual([made]);
  expect(await shop.users(made.email)).toHaveLength(1);
  const tracked = await trackedIn(tdm.runId);
  expect(tracked.map((t) => [t.entityType, t.entityId])).toEqual([["user", String(made.id)]]);

  const report = await new TestDataManager({ runId: tdm.runId }).cleanupRun();
  expect(report).toMatchObject({ deleted: { users: 1 }, complete: true });
  expect(await shop.users(made.email)).toEqual([]);
});
