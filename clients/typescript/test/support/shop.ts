/** The reference shop as its admin sees it, without tdm: where tests check outcomes. */

const ADMIN = { email: "admin@shop.test", password: "Admin-Passw0rd" };

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: the tests need the shop that tdm serve --demo prints`);
  }
  return value;
}

type Page = { items: Array<Record<string, any>>; total: number };

export class Shop {
  readonly authUrl = env("AUTH_SERVICE_URL");
  readonly backendUrl = env("BACKEND_URL");
  #token: Promise<string> | undefined;

  async #headers(): Promise<Record<string, string>> {
    this.#token ??= fetch(`${this.authUrl}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ADMIN),
    }).then(async (answer) => ((await answer.json()) as { accessToken: string }).accessToken);
    return { authorization: `Bearer ${await this.#token}` };
  }

  async #page(url: string): Promise<Page> {
    const answer = await fetch(url, { headers: await this.#headers() });
    if (answer.status !== 200) {
      throw new Error(`GET ${url} answered ${answer.status}: ${await answer.text()}`);
    }
    return (await answer.json()) as Page;
  }

  /** The users with this email (none or one). */
  async users(email: string): Promise<Array<Record<string, any>>> {
    const query = new URLSearchParams({ email });
    return (await this.#page(`${this.authUrl}/auth/users?${query}`)).items;
  }

  /** The orders of this user. */
  async orders(userId: number): Promise<Array<Record<string, any>>> {
    const query = new URLSearchParams({ userId: String(userId) });
    return (await this.#page(`${this.backendUrl}/api/admin/orders?${query}`)).items;
  }

  /** The product with this id, or null. */
  async product(id: number): Promise<Record<string, any> | null> {
    const answer = await fetch(`${this.backendUrl}/api/products/${id}`);
    return answer.status === 200 ? ((await answer.json()) as Record<string, any>) : null;
  }

  /** The cart items of this user. */
  async cartItems(userId: number): Promise<Array<Record<string, any>>> {
    const query = new URLSearchParams({ userId: String(userId) });
    return (await this.#page(`${this.backendUrl}/api/admin/cart-items?${query}`)).items;
  }
}
