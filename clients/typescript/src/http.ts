/**
 * One request to a tdm server over the platform's `fetch`, with retries of what is safe to
 * retry: no answer, a timeout, 429 and 502-504. A create carries an `Idempotency-Key` that its
 * retries repeat (with the same body), so a server that honours the header creates the entity
 * once and answers a retry with the first answer; a retry that arrives while the first request
 * is still being served (409 `idempotency_key_in_flight`) waits for it.
 */

import { randomUUID } from "node:crypto";

import { TdmError, answerError } from "./errors.js";

export const URL_SETTING = "TEST_DATA_MANAGER_URL";

const RETRIED = new Set([429, 502, 503, 504]);
/** How long a create waits out a first request with its key that is still being served. */
const IN_FLIGHT_WAIT_MS = 60_000;
const IN_FLIGHT_POLL_MS = 500;

export interface Call {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  body?: unknown;
  /** Error statuses whose body is an answer, not an error (health's 503). */
  accept?: number[];
  /** Send an `Idempotency-Key`, the same on every retry. */
  creates?: boolean;
  /** Beside the transport's, the same on every retry. */
  headers?: Record<string, string>;
  /** Instead of the transport's. */
  retries?: number;
  timeoutMs?: number;
}

export interface Transport {
  baseUrl: string;
  headers: () => Record<string, string>;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Why `fetch` got no answer, in a few words (`ECONNREFUSED`, `getaddrinfo ENOTFOUND vm`). */
function reason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function noAnswer(transport: Transport, call: Call, error: unknown): TdmError {
  const what = `${call.method} ${transport.baseUrl}${call.path}`;
  if (error instanceof Error && error.name === "TimeoutError") {
    const detail = `no answer within ${call.timeoutMs ?? transport.timeoutMs} ms`;
    return new TdmError(`${what}: ${detail}`, {
      code: "timeout",
      status: 0,
      detail,
      cause: error,
    });
  }
  const detail = reason(error);
  return new TdmError(
    `cannot reach the tdm server: ${what} failed (${detail}); is a tdm server running at ` +
      `${transport.baseUrl}? The URL comes from the baseUrl option, else ${URL_SETTING}.`,
    { code: "unreachable", status: 0, detail, cause: error },
  );
}

async function once(transport: Transport, call: Call, key: string | undefined): Promise<unknown> {
  const headers: Record<string, string> = {
    accept: "application/json",
    ...transport.headers(),
    ...call.headers,
  };
  if (call.body !== undefined) {
    headers["content-type"] = "application/json";
  }
  if (key !== undefined) {
    headers["idempotency-key"] = key;
  }
  let response: Response;
  let text: string;
  try {
    const init: RequestInit = {
      method: call.method,
      headers,
      signal: AbortSignal.timeout(call.timeoutMs ?? transport.timeoutMs),
    };
    if (call.body !== undefined) {
      init.body = JSON.stringify(call.body);
    }
    response = await fetch(`${transport.baseUrl}${call.path}`, init);
    text = await response.text();
  } catch (error) {
    throw noAnswer(transport, call, error);
  }
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if ((response.ok || call.accept?.includes(response.status)) && body !== undefined) {
    return body;
  }
  throw answerError(`${call.method} ${call.path}`, response.status, body, text);
}

/** The server is still serving the first request with this call's key. */
function inFlight(error: unknown): boolean {
  return error instanceof TdmError && error.status === 409 && error.code === "idempotency_key_in_flight";
}

function retriable(error: unknown, call: Call): boolean {
  if (!(error instanceof TdmError)) {
    return false;
  }
  if (error.status === 0) {
    return true;
  }
  return RETRIED.has(error.status) && !call.accept?.includes(error.status);
}

/** Send `call`; its JSON answer, or a {@link TdmError}. */
export async function send(transport: Transport, call: Call): Promise<unknown> {
  const key = call.creates ? randomUUID() : undefined;
  let waited = 0;
  for (let attempt = 0; ; ) {
    try {
      return await once(transport, call, key);
    } catch (error) {
      if (key !== undefined && inFlight(error) && waited < IN_FLIGHT_WAIT_MS) {
        waited += IN_FLIGHT_POLL_MS;
        await sleep(IN_FLIGHT_POLL_MS);
        continue;
      }
      if (attempt >= (call.retries ?? transport.retries) || !retriable(error, call)) {
        throw error;
      }
      await sleep(Math.min(transport.retryDelayMs * 2 ** attempt, 5000));
      attempt++;
    }
  }
}
