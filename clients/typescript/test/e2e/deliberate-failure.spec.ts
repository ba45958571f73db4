/**
 * A test that fails on purpose (`--grep @deliberate-failure` runs it alone): its report must
 * hold the data it created and its seed, and the data must still be removed.
 */

import { test, expect } from "./fixtures";

test("a failing test reports its data", { tag: "@deliberate-failure" }, async ({ tdm }, testInfo) => {
  const { user, orders } = await tdm.scenario("user-with-orders", { orderCount: 1 });
  testInfo.annotations.push({ type: "created-user", description: JSON.stringify(user) });
  testInfo.annotations.push({ type: "tdm-run", description: tdm.runId });
  expect(orders).toHaveLength(2);
});
