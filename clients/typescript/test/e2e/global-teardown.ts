import { globalTeardown } from "@tdm/client/playwright";

export default globalTeardown();
