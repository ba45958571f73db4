/** Errors: what the server answered (its `{error, detail, fields}` body), or why nothing did. */

/** One bad field of a request, as the server names it (camelCase, `items[0].productId`). */
export interface FieldProblem {
  field: string;
  /** What a valid value looks like, in words. */
  expected: string;
  /** What arrived (absent when nothing did). */
  got?: unknown;
  message: string;
}

export interface TdmErrorOptions {
  code: string;
  /** The HTTP status; 0 when no answer came. */
  status: number;
  detail: string;
  fields?: FieldProblem[];
  /** The whole error body, with what else the server said (`known` scenarios, say). */
  body?: unknown;
  cause?: unknown;
}

/**
 * A call that failed. `code` is the server's `error` (`validation_error`, `not_found`,
 * `scenario_failed`, `target_unavailable`, ...) or the client's own: `unreachable` (no
 * answer), `timeout`, `unhealthy` (`waitForHealthy`), `http_error` (an answer without a tdm
 * error body).
 */
export class TdmError extends Error {
  readonly code: string;
  readonly status: number;
  readonly detail: string;
  readonly fields: FieldProblem[];
  readonly body: unknown;

  constructor(message: string, options: TdmErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TdmError";
    this.code = options.code;
    this.status = options.status;
    this.detail = options.detail;
    this.fields = options.fields ?? [];
    this.body = options.body;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function problems(raw: unknown): FieldProblem[] {
  if (!Array.isArray(raw)) {
    return [];
  }
  return raw.filter(isRecord).map((p) => {
    const problem: FieldProblem = {
      field: String(p["field"] ?? ""),
      expected: String(p["expected"] ?? ""),
      message: String(p["message"] ?? ""),
    };
    if ("got" in p) {
      problem.got = p["got"];
    }
    return problem;
  });
}

/** The error a non-2xx answer stands for; `what` names the call (`POST /api/users`). */
export function answerError(what: string, status: number, body: unknown, text: string): TdmError {
  if (isRecord(body) && typeof body["error"] === "string") {
    const detail = typeof body["detail"] === "string" ? body["detail"] : body["error"];
    return new TdmError(`${what} answered ${status} ${body["error"]}: ${detail}`, {
      code: body["error"],
      status,
      detail,
      fields: problems(body["fields"]),
      body,
    });
  }
  const detail = text.slice(0, 200) || `HTTP ${status}`;
  return new TdmError(`${what} answered ${status}: ${detail}`, {
    code: "http_error",
    status,
    detail,
    body: body ?? text,
  });
}
