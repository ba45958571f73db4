/**
 * The tdm client: `new TestDataManager({ baseUrl })` creates test data through a tdm server,
 * tracks it, and removes exactly that again. Playwright Test fixtures are in
 * `@tdm/client/playwright`; the reference shop's generated types in `@tdm/client/shop`.
 */

export {
  type ClientOptions,
  DEFAULT_URL,
  RUN_ID_SETTING,
  type Seed,
  TestDataManager,
  TOKEN_SETTING,
  type WaitOptions,
} from "./client.js";
export { type FieldProblem, TdmError, type TdmErrorOptions } from "./errors.js";
export type { Keep } from "./holding.js";
export { URL_SETTING } from "./http.js";
export { childRunId, newRunId, newSeed } from "./ids.js";
export type * from "./types.js";
