/**
 * The `tdm` fixture in a browser test: typed scenarios and kinds, a run per worker. Each test
 * notes what it created (`created-user` annotations) so the suite's runner can check, in the
 * shop, that none of it is left once the tests are done.
 */

import { TestDataManager } from "@tdm/client";

import { listedRun } from "../support/runs";
import { test, expect } from "./fixtures";

test.describe.configure({ mode: "parallel" });

for (const status of ["pending", "shipped"] as const) {
  test(`the orders page shows ${status} orders`, async ({ page, tdm }, testInfo) => {
    const { user, orders } = await tdm.scenario("user-with-orders", {
      orderCount: 2,
      orderStatus: status,
    });
    testInfo.annotations.push({ type: "created-user", description: JSON.stringify(user) });
    testInfo.annotations.push({ type: "tdm-run", description: tdm.runId });

    await page.goto("/login");
    await page.fill('[name="email"]', user.email);
    await page.fill('[name="password"]', user.password);
    await page.click('button[type="submit"]');
    await page.goto("/orders");

    await expect(page.locator(".order-card")).toHaveCount(orders.length);
    for (const order of orders) {
      await expect(page.locator(".order-card", { hasText: order.number })).toBeVisible();
    }
  });
}

test("kinds and the design's create calls work from the fixture", async ({ tdm }, testInfo) => {
  const { users } = await tdm.createUser({ fullName: "Grace Hopper" });
  const user = users[0]!;
  const { order } = await tdm.createOrder({ userId: user.id, status: "confirmed" });
  const { entities } = await tdm.create("cartItem", { userId: user.id });
  testInfo.annotations.push({ type: "created-user", description: JSON.stringify(user) });
  testInfo.annotations.push({ type: "tdm-run", description: tdm.runId });

  expect(order.status).toBe("confirmed");
  expect(entities).toHaveLength(1);
  expect(tdm.getCreatedEntities().map((e) => e.operation)).toEqual([
    "createUser",
    "createOrder",
    "create",
  ]);
  expect(tdm.dataSeed).toMatch(/^\d+$/);
});

test("what a test leaves under its worker's run goes at the suite's end", async ({ tdmRunId }, testInfo) => {
  const untracked = new TestDataManager({ runId: tdmRunId });
  const { users } = await untracked.createUser();
  testInfo.annotations.push({ type: "created-user", description: JSON.stringify(users[0]) });
  testInfo.annotations.push({ type: "tdm-run", description: tdmRunId });
  testInfo.annotations.push({ type: "left-for-teardown", description: users[0]!.email });
});

test("the worker holds its run, and the runner the suite's, while the suite runs", async ({ tdmRunId }) => {
  const suite = process.env["TDM_RUN_ID"]!;
  expect(tdmRunId.startsWith(`${suite}-w`)).toBe(true);
  const [worker, runner] = [await listedRun(tdmRunId), await listedRun(suite)];
  expect(worker).toMatchObject({ state: "held", holder: expect.stringMatching(/^typescript:/) });
  expect(runner).toMatchObject({ state: "held", holder: expect.stringMatching(/^typescript:/) });
  expect(worker!.holder).not.toBe(runner!.holder); // one in the worker, one in the runner
});

test.describe("a test expected to fail", () => {
  test("keeps its data in the report", async ({ tdm }, testInfo) => {
    test.fail(true, "failing on purpose: its data must be attached");
    const { user } = await tdm.scenario("empty-cart");
    testInfo.annotations.push({ type: "created-user", description: JSON.stringify(user) });
    testInfo.annotations.push({ type: "tdm-run", description: tdm.runId });
    expect(user.email).toBe("someone else");
  });
});
