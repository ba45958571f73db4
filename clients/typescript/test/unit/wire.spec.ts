/**
 * What the client sends, seen by a recording server: headers the tdm server does not echo
 * (the token, the idempotency key) and retries. Behaviour against tdm itself is in
 * client.spec.ts.
 */

import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { expect, test } from "@playwright/test";

import { TdmError, TestDataManager } from "@tdm/client";

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A server that records each request and answers with the next of `answers`. */
async function recording(answers: Array<[number, unknown]>): Promise<{
  url: string;
  seen: Recorded[];
  server: Server;
}> {
  const seen: Recorded[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
      const [status, answer] = answers[Math.min(seen.length, answers.length) - 1]!;
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(answer));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

const CREATED: [number, unknown] = [201, { users: [{ id: 1 }], trackingIds: ["t-1"] }];

test("every call carries the run id; the test id, seed and token when there are any", async () => {
  const { url, seen, server } = await recording([CREATED]);
  try {
    await new TestDataManager({ baseUrl: url, runId: "run-a", env: {} }).createUser();
    const full = new TestDataManager({
      baseUrl: url,
      runId: "run-b",
      testId: "a test",
      seed: 12n,
      token: "s3cret-token",
    });
    await full.createUser({ count: 2 });
    await new TestDataManager({ baseUrl: url, runId: "run-c", env: { TDM_API_TOKEN: "from-env" } }).createUser();
    expect(String(full)).not.toContain("s3cret-token");
    expect(JSON.stringify(full)).not.toContain("s3cret-token");
  } finally {
    server.close();
  }
  const [bare, full, fromEnv] = seen;
  expect(bare!.headers).toMatchObject({ "x-tdm-run-id": "run-a", "content-type": "application/json" });
  expect(bare!.headers).not.toHaveProperty("authorization");
  expect(bare!.headers).not.toHaveProperty("x-tdm-test-id");
  expect(bare!.headers).not.toHaveProperty("x-tdm-seed");
  expect(full!.headers).toMatchObject({
    "x-tdm-run-id": "run-b",
    "x-tdm-test-id": "a test",
    "x-tdm-seed": "12",
    authorization: "Bearer s3cret-token",
  });
  expect(JSON.parse(full!.body)).toEqual({ count: 2 });
  expect(fromEnv!.headers["authorization"]).toBe("Bearer from-env");
});

test("each create has its own Idempotency-Key, repeated by its retries", async () => {
  const unavailable: [number, unknown] = [503, { error: "target_unavailable", detail: "shop down" }];
  const { url, seen, server } = await recording([unavailable, [502, "bad gateway"], CREATED, CREATED]);
  try {
    const tdm = new TestDataManager({ baseUrl: url, runId: "run-k", retryDelayMs: 1 });
    await tdm.createUser();
    await tdm.createUser();
  } finally {
    server.close();
  }
  const keys = seen.map((r) => r.headers["idempotency-key"]);
  expect(keys).toHaveLength(4);
  expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(keys[1]).toBe(keys[0]);
  expect(keys[2]).toBe(keys[0]);
  expect(keys[3]).not.toBe(keys[0]);
});

test("a create whose first request is still being served waits for it, with its key", async () => {
  const inFlight: [number, unknown] = [409, { error: "idempotency_key_in_flight", detail: "busy" }];
  const { url, seen, server } = await recording([inFlight, inFlight, CREATED]);
  try {
    const tdm = new TestDataManager({ baseUrl: url, runId: "run-a", retries: 0 });
    expect(await tdm.createUser()).toEqual(CREATED[1]); // the waits are not retries
  } finally {
    server.close();
  }
  const keys = seen.map((r) => r.headers["idempotency-key"]);
  expect(keys).toHaveLength(3);
  expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(new Set(keys).size).toBe(1);
});

test("a held run's lease is renewed until release, which waits for a renewal under way", async () => {
  const events: string[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const what = `${request.method} ${request.url}`;
      events.push(`${what} arrived`);
      const run = { runId: "run-h", state: "held", ttl: 60, heartbeatInterval: 0.05 };
      const answer = () => {
        events.push(`${what} answered`);
        response.writeHead(request.method === "POST" ? 201 : 200, { "content-type": "application/json" });
        response.end(JSON.stringify(request.url === "/api/users" ? CREATED[1] : run));
      };
      // Renewals are slow, so one is under way when the client is released.
      setTimeout(answer, request.method === "PUT" ? 120 : 0);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  try {
    const tdm = new TestDataManager({ baseUrl: `http://127.0.0.1:${port}`, env: {} });
    await tdm.createUser();
    const renewed = `PUT /api/runs/${tdm.runId}/lease answered`;
    await expect.poll(() => events.filter((e) => e === renewed).length).toBeGreaterThan(1);
    await tdm.close();
    const end = `DELETE /api/runs/${tdm.runId}`;
    expect(events.slice(0, 4)).toEqual([
      "POST /api/runs arrived",
      "POST /api/runs answered",
      "POST /api/users arrived",
      "POST /api/users answered",
    ]);
    expect(events.slice(-2)).toEqual([`${end} arrived`, `${end} answered`]);
    const renewals = events.filter((e) => e.startsWith("PUT "));
    expect(renewals.length % 2).toBe(0); // each renewal answered before the end arrived
  } finally {
    server.close();
  }
});

test("a seeded client's creates each send a seed of their own, repeated by their retries", async () => {
  const unavailable: [number, unknown] = [503, { error: "target_unavailable", detail: "shop down" }];
  const { url, seen, server } = await recording([unavailable, CREATED]);
  try {
    for (const _ of [1, 2]) {
      const tdm = new TestDataManager({ baseUrl: url, runId: "run-s", seed: 12, retryDelayMs: 1, env: {} });
      await tdm.createUser();
      await tdm.scenario("anything");
      await tdm.create("thing");
      tdm.startTracking({ seed: 12 });
      await tdm.createUser();
    }
  } finally {
    server.close();
  }
  const seeds = seen.map((r) => r.headers["x-tdm-seed"] as string);
  expect(seeds).toHaveLength(9); // the first create's retry, then 4 creates per client
  const [first, retried, second, third, restarted] = seeds;
  expect([first, retried, restarted]).toEqual(["12", "12", "12"]);
  expect(new Set([first, second, third]).size).toBe(3);
  for (const seed of seeds) {
    expect(seed).toMatch(/^\d{1,19}$/);
    expect(BigInt(seed) <= 2n ** 63n - 1n).toBe(true);
  }
  expect(seeds.slice(5)).toEqual(["12", second, third, "12"]); // the same seed, the same seeds
});

test("calls that create nothing carry no Idempotency-Key", async () => {
  const report = { deleted: {}, alreadyGone: 0, failed: [], unverified: [], notTracked: [], matched: 0, complete: true };
  const { url, seen, server } = await recording([[200, report]]);
  try {
    const tdm = new TestDataManager({ baseUrl: url });
    await tdm.cleanupAll();
    await tdm.cleanupRun("run-x");
  } finally {
    server.close();
  }
  expect(seen.map((r) => [r.method, r.url, JSON.parse(r.body)])).toEqual([
    ["DELETE", "/api/cleanup", { all: true }],
    ["DELETE", "/api/cleanup", { runId: "run-x" }],
  ]);
  expect(seen.every((r) => !("idempotency-key" in r.headers))).toBe(true);
});

test("an error answer without tdm's body is an http_error; retries give up", async () => {
  const { url, seen, server } = await recording([[504, "gateway timeout"]]);
  let error: unknown;
  try {
    error = await new TestDataManager({ baseUrl: url, runId: "run-e", retries: 2, retryDelayMs: 1 })
      .scenario("anything")
      .catch((e: unknown) => e);
  } finally {
    server.close();
  }
  expect(error).toBeInstanceOf(TdmError);
  expect(error).toMatchObject({ code: "http_error", status: 504 });
  expect(seen).toHaveLength(3);
});

test("an unhealthy server is an answer to health(), and a timeout to waitForHealthy()", async () => {
  const unhealthy = { status: "unhealthy", dependencies: { backend: "down" }, checks: [], ledger: "x" };
  const { url, server } = await recording([[503, unhealthy]]);
  let waited: unknown;
  try {
    const tdm = new TestDataManager({ baseUrl: url });
    expect(await tdm.health()).toEqual(unhealthy);
    waited = await tdm.waitForHealthy(200, { intervalMs: 20 }).catch((e: unknown) => e);
  } finally {
    server.close();
  }
  expect(waited).toMatchObject({ code: "unhealthy", status: 503 });
  expect(String(waited)).toContain('"backend":"down"');
});
