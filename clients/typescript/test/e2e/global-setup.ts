import { globalSetup } from "@tdm/client/playwright";

export default globalSetup();
