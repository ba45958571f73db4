/**
 * The client against a real tdm server and its shop: what it creates is in the shop, what it
 * cleans up is gone from it, and the server's errors arrive typed.
 */

import { expect, test } from "@playwright/test";

import { newRunId, TdmError, TestDataManager } from "@tdm/client";
import type { KindMap, ScenarioMap } from "@tdm/client/shop";

import { Shop } from "../support/shop";

const shop = new Shop();
/** The token of the server under test (`tdm serve` with `TDM_API_TOKEN`), if it has one. */
const TOKEN = process.env["TDM_API_TOKEN"];

function client(options: ConstructorParameters<typeof TestDataManager>[0] = {}) {
  return new TestDataManager<ScenarioMap, KindMap>({ runId: newRunId("run-unit"), ...options });
}

/** How many entities a cleanup report counts, every kind together. */
function total(deleted: Record<string, number>): number {
  return Object.values(deleted).reduce((sum, n) => sum + n, 0);
}

/** The kinds of which a cleanup removed any. */
function removed(deleted: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(deleted).filter(([, n]) => n > 0));
}

/** The distinct products the orders' items name. */
function productsOf(orders: Array<{ items: Array<{ productId: number }> }>): Set<number> {
  return new Set(orders.flatMap((o) => o.items.map((i) => i.productId)));
}

async function rejection(promise: Promise<unknown>): Promise<TdmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TdmError);
  return error as TdmError;
}

test("the URL comes from the option, else TEST_DATA_MANAGER_URL, else localhost:3001", () => {
  expect(new TestDataManager({ baseUrl: "http://tdm:9/" }).baseUrl).toBe("http://tdm:9");
  const env = { TEST_DATA_MANAGER_URL: "http://from-env:3001" };
  expect(new TestDataManager({ env }).baseUrl).toBe("http://from-env:3001");
  expect(new TestDataManager({ env: {} }).baseUrl).toBe("http://localhost:3001");
});

test("the run id comes from the option, else TDM_RUN_ID, else a fresh one", () => {
  expect(new TestDataManager({ runId: "run-given", env: {} }).runId).toBe("run-given");
  expect(new TestDataManager({ env: { TDM_RUN_ID: "run-env" } }).runId).toBe("run-env");
  const [a, b] = [new TestDataManager({ env: {} }), new TestDataManager({ env: {} })];
  expect(a.runId).toMatch(/^run-\d{8}T\d{6}-[0-9a-f]{6}$/);
  expect(a.runId).not.toBe(b.runId);
  expect(() => new TestDataManager({ runId: "two words" })).toThrow(/runId/);
  expect(() => new TestDataManager({ seed: -1 })).toThrow(/seed/);
});

test("seed reports the baseline", async () => {
  const seeded = await client().seed();
  expect(seeded).toMatchObject({ users: 2, products: 14, categories: 4 });
});

test("createUser creates users in the shop and cleanup removes exactly them", async () => {
  const tdm = client();
  tdm.startTracking();
  const { users, trackingIds } = await tdm.createUser({ count: 2 });
  const { users: named } = await tdm.createUser({ fullName: "Ada Lovelace" });
  expect(users).toHaveLength(2);
  expect(trackingIds).toHaveLength(2);
  expect(named[0]?.fullName).toBe("Ada Lovelace");
  for (const user of [...users, ...named]) {
    expect(await shop.users(user.email)).toHaveLength(1);
  }
  expect(tdm.trackingIds).toHaveLength(3);

  const report = await tdm.cleanup();

  expect(report.deleted["users"]).toBe(3);
  expect(report.complete).toBe(true);
  for (const user of [...users, ...named]) {
    expect(await shop.users(user.email)).toEqual([]);
  }
  expect(tdm.trackingIds).toEqual([]);
  expect(tdm.getCreatedEntities()).toEqual([]);
  expect(await tdm.cleanup()).toMatchObject({ deleted: {}, complete: true });
});

test("the appendix D calls: users, products and orders, then one cleanup", async () => {
  const tdm = client();
  const { users } = await tdm.createUser({ email: `specific.${Date.now()}@example.com` });
  const user = users[0]!;
  const { users: manyUsers } = await tdm.createUser({ count: 5 });
  const { products } = await tdm.createProduct({ name: "Test Product", price: 99.99, stock: 10 });
  const { order, trackingId } = await tdm.createOrder({ userId: user.id, status: "delivered" });

  expect(manyUsers).toHaveLength(5);
  expect(products[0]).toMatchObject({ name: "Test Product", price: 99.99, stock: 10 });
  expect(await shop.product(products[0]!.id)).toMatchObject({ name: "Test Product" });
  expect(order).toMatchObject({ userId: user.id, status: "delivered" });
  expect(tdm.trackingIds).toContain(trackingId);
  expect((await shop.orders(user.id)).map((o) => o.id)).toEqual([order.id]);
  // The order's products are its own call's, made for it: never another call's.
  const ordered = productsOf([order as { items: Array<{ productId: number }> }]);
  expect(ordered.size).toBeGreaterThanOrEqual(1);
  expect(ordered.has(products[0]!.id)).toBe(false);
  const tracked = tdm.trackingIds.length;

  const report = await tdm.cleanup();

  // A category is made too when the shop has none of the baseline's to use.
  const categories = report.deleted["categories"] ?? 0;
  expect(removed(report.deleted)).toEqual({
    users: 6,
    products: 1 + ordered.size,
    orders: 1,
    ...(categories ? { categories } : {}),
  });
  expect(total(report.deleted)).toBe(tracked);
  expect(report.complete).toBe(true);
  expect(await shop.orders(user.id)).toEqual([]);
  expect(await shop.users(user.email)).toEqual([]);
  for (const id of [products[0]!.id, ...ordered]) {
    expect(await shop.product(id)).toBeNull();
  }
});

test("create() makes any kind of the catalog", async () => {
  const tdm = client();
  const { users } = await tdm.createUser();
  const result = await tdm.create("cartItem", { userId: users[0]!.id, quantity: 2 });
  expect(result.entityType).toBe("cartItem");
  expect(result.entities[0]).toMatchObject({ userId: users[0]!.id, quantity: 2 });
  const [item] = await shop.cartItems(users[0]!.id);
  expect(item).toMatchObject({ id: result.entities[0]!.id, quantity: 2 });
  await tdm.cleanup();
  expect(await shop.cartItems(users[0]!.id)).toEqual([]);
});

test("a scenario's result is its data, with data and trackingIds too", async () => {
  const tdm = client();
  const scenario = await tdm.scenario("user-with-orders", { orderCount: 3, orderStatus: "shipped" });
  const { user, orders } = scenario;

  expect(scenario.data.user).toEqual(user);
  expect(scenario.data.orders).toEqual(orders);
  expect(orders.map((o) => o.status)).toEqual(["shipped", "shipped", "shipped"]);
  expect(Object.keys(scenario).sort()).toEqual(["orders", "user"]);
  expect(JSON.parse(JSON.stringify(scenario))).toEqual(scenario.data);
  // The user, its 3 orders and the products they order (the scenario's own), maybe a category.
  const ordered = productsOf(orders);
  const made = scenario.trackingIds.length - (1 + 3 + ordered.size);
  expect([0, 1]).toContain(made);
  expect((await shop.orders(user.id)).map((o) => o.number).sort()).toEqual(
    orders.map((o) => o.number).sort(),
  );
  const [entry] = tdm.getCreatedEntities();
  expect(entry).toEqual({
    operation: "scenario",
    scenario: "user-with-orders",
    trackingIds: scenario.trackingIds,
    result: { data: scenario.data, trackingIds: scenario.trackingIds },
  });

  const report = await tdm.cleanup();
  expect(removed(report.deleted)).toEqual({
    users: 1,
    orders: 3,
    products: ordered.size,
    ...(made ? { categories: made } : {}),
  });
  expect(report.matched).toBe(scenario.trackingIds.length);
  expect(await shop.users(user.email)).toEqual([]);
  expect(await shop.orders(user.id)).toEqual([]);
  for (const id of ordered) {
    expect(await shop.product(id)).toBeNull();
  }
});

test("cleanupRun removes a whole run, and only that run", async () => {
  const mine = client();
  const other = client();
  const { users } = await mine.createUser({ count: 2 });
  mine.startTracking(); // forgets the tracking ids: only the run holds them now
  const { users: theirs } = await other.createUser();

  const report = await mine.cleanupRun();

  expect(report.deleted["users"]).toBe(2);
  for (const user of users) {
    expect(await shop.users(user.email)).toEqual([]);
  }
  expect(await shop.users(theirs[0]!.email)).toHaveLength(1);
  await other.cleanupRun();
  expect(await shop.users(theirs[0]!.email)).toEqual([]);
});

test("the same seed replays the same data; each create of a client makes its own", async () => {
  const seed = "424242424242";
  const first = client({ seed });
  const { users } = await first.createUser();
  const { users: next } = await first.createUser(); // the same seed: no clash with the first
  await first.cleanup();
  const again = client({ seed });
  const { users: replayed } = await again.createUser();
  const { users: replayedNext } = await again.createUser();
  await again.cleanup();
  expect(again.dataSeed).toBe(seed);
  expect(next[0]!.email).not.toBe(users[0]!.email);
  expect(replayed[0]!.email).toBe(users[0]!.email);
  expect(replayed[0]!.fullName).toBe(users[0]!.fullName);
  expect(replayedNext[0]!.email).toBe(next[0]!.email);
});

test("the run, the test and the seed are recorded with each entity", async () => {
  const tdm = client({ testId: "orders > lists every order ✓", seed: 7 });
  await tdm.createUser();
  const answer = await fetch(`${tdm.baseUrl}/api/tracked?runId=${tdm.runId}`, {
    headers: TOKEN ? { authorization: `Bearer ${TOKEN}` } : {},
  });
  const { items } = (await answer.json()) as { items: Array<Record<string, unknown>> };
  await tdm.cleanup();
  expect(items).toHaveLength(1);
  expect(items[0]).toMatchObject({
    runId: tdm.runId,
    testId: "orders > lists every order %E2%9C%93",
    seed: "7",
  });
});

test("a misspelt parameter is a validation_error naming the field", async () => {
  const untyped = new TestDataManager({ runId: newRunId("run-unit") });
  const error = await rejection(
    untyped.scenario("user-with-orders", { orderCont: 3, orderStatus: "lost" }),
  );
  expect(error.code).toBe("validation_error");
  expect(error.status).toBe(422);
  expect(error.fields.map((f) => f.field)).toEqual(["orderCont", "orderStatus"]);
  expect(error.fields[1]).toMatchObject({ got: "lost", expected: expect.stringContaining("shipped") });
  expect(error.message).toContain("orderCont");
});

test("an unknown scenario is not_found, with what the server knows", async () => {
  const error = await rejection(new TestDataManager().scenario("user-with-ordrs"));
  expect(error).toMatchObject({ code: "not_found", status: 404 });
  expect(error.body).toMatchObject({ known: expect.arrayContaining(["user-with-orders"]) });
});

test("an order for a user this server did not create is refused, naming userId", async () => {
  const error = await rejection(client().createOrder({ userId: 1 }));
  expect(error.code).toBe("validation_error");
  expect(error.fields[0]?.field).toBe("userId");
});

test("a server with a token refuses a call without it, and takes the one of TDM_API_TOKEN", async () => {
  // The harness (tests/typescript/conftest.py) always starts the server with a token.
  expect(TOKEN, "start the server under test with TDM_API_TOKEN set, as the harness does").toBeTruthy();
  const env = { TEST_DATA_MANAGER_URL: process.env["TEST_DATA_MANAGER_URL"] };
  const email = `no-token.${Date.now()}@example.com`;
  for (const token of [undefined, "not-the-token-0123456789"]) {
    const refused = new TestDataManager({ env, ...(token ? { token } : {}) });
    const error = await rejection(refused.createUser({ email }));
    expect(error).toMatchObject({ code: "unauthorized", status: 401 });
    expect(error.message).not.toContain(TOKEN);
  }
  expect(await shop.users(email)).toEqual([]);
  expect((await new TestDataManager({ env }).health()).status).toBe("healthy"); // health needs none

  const tdm = client(); // the token comes from TDM_API_TOKEN
  const { users } = await tdm.createUser({ email });
  expect(await shop.users(email)).toHaveLength(1);
  expect(String(tdm)).not.toContain(TOKEN);
  expect(JSON.stringify(tdm)).not.toContain(TOKEN);
  await tdm.cleanup();
  expect(await shop.users(users[0]!.email)).toEqual([]);
});

test("no server is `unreachable`, naming the URL and TEST_DATA_MANAGER_URL", async () => {
  const tdm = new TestDataManager({ baseUrl: "http://127.0.0.1:9", retries: 1, retryDelayMs: 1 });
  const error = await rejection(tdm.createUser());
  expect(error.code).toBe("unreachable");
  expect(error.status).toBe(0);
  expect(error.message).toContain("http://127.0.0.1:9/api/users");
  expect(error.message).toContain("TEST_DATA_MANAGER_URL");
  const waited = await rejection(tdm.waitForHealthy(300, { intervalMs: 50 }));
  expect(waited.code).toBe("unreachable");
  expect(waited.message).toContain("was not healthy within 300 ms");
});

test("waitForHealthy resolves with the health report", async () => {
  const health = await new TestDataManager().waitForHealthy(30_000);
  expect(health.status).toBe("healthy");
  expect(health.dependencies).toMatchObject({ authService: "up", backend: "up" });
  expect(health.checks.length).toBeGreaterThan(0);
});
