/** This suite's `test`: tdm's fixtures, typed by the shop's generated maps. */

import { typedTest } from "@tdm/client/playwright";
import type { KindMap, ScenarioMap } from "@tdm/client/shop";

export { expect } from "@tdm/client/playwright";

export const test = typedTest<ScenarioMap, KindMap>();
