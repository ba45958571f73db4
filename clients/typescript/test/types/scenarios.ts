/**
 * Compile-time checks of the generated maps (`tsc -p tsconfig.json` fails if one of the
 * `@ts-expect-error` lines stops being an error, or another line becomes one). Never run.
 */

import { TestDataManager } from "@tdm/client";
import type { KindMap, ScenarioMap } from "@tdm/client/shop";

export async function typed(tdm: TestDataManager<ScenarioMap, KindMap>): Promise<void> {
  const result = await tdm.scenario("user-with-orders", { orderCount: 3 });
  const email: string = result.user.email;
  const sameEmail: string = result.data.user.email;
  const ids: string[] = result.trackingIds;
  const status: string | undefined = result.orders[0]?.status;
  // @ts-expect-error -- an email is a string
  const notANumber: number = result.user.email;

  // @ts-expect-error -- a misspelt parameter
  await tdm.scenario("user-with-orders", { orderCont: 3 });
  // @ts-expect-error -- a status the scenario does not know
  await tdm.scenario("user-with-orders", { orderStatus: "lost" });
  // @ts-expect-error -- a scenario the catalog does not have
  await tdm.scenario("user-with-ordrs");
  // @ts-expect-error -- a scenario without parameters takes none
  await tdm.scenario("empty-cart", { orderCount: 1 });
  await tdm.scenario("empty-cart");

  await tdm.createUser({ count: 2, fullName: "Ada" });
  // @ts-expect-error -- users have no such field
  await tdm.createUser({ nickname: "Ada" });
  // @ts-expect-error -- an order needs its user
  await tdm.createOrder({ status: "delivered" });
  await tdm.createOrder({ userId: 1, status: "delivered", items: [{ productId: 3 }] });
  // @ts-expect-error -- not an order status
  await tdm.createOrder({ userId: 1, status: "lost" });
  await tdm.create("cartItem", { quantity: 2 });
  // @ts-expect-error -- not a kind of the catalog
  await tdm.create("invoice");

  const seeded: number = (await tdm.seed()).products;
  void [email, sameEmail, ids, status, notANumber, seeded];
}

export async function untyped(tdm: TestDataManager): Promise<void> {
  const { user, orders } = await tdm.scenario("anything", { any: "thing" });
  const result = await tdm.scenario("user-with-orders");
  const email: string = result.data.user.email;
  await tdm.create("anything", { at: "all" });
  void [user, orders, email];
}
