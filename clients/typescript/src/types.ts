/**
 * The shapes tdm's HTTP API answers with, and the maps that type scenarios and entity kinds.
 *
 * A map is what `tdm codegen typescript` writes from a server's catalog (`ScenarioMap`,
 * `KindMap`); without one the client is untyped ({@link AnyScenarios}, {@link AnyKinds}).
 */

/** An entity as the API returned it (its fields in camelCase). */
export type Entity = { [field: string]: any };

/** What one scenario takes and returns. */
export interface ScenarioSpec {
  parameters: object;
  result: unknown;
}

/** What one entity kind takes when it is created. */
export interface KindSpec {
  fields: object;
}

/** Scenario names to their {@link ScenarioSpec}: the constraint a generated `ScenarioMap` meets. */
export type ScenarioMapOf<S> = { [N in keyof S]: ScenarioSpec };

/** Kind names to their {@link KindSpec}: the constraint a generated `KindMap` meets. */
export type KindMapOf<K> = { [N in keyof K]: KindSpec };

/** Any scenario name, any parameters, a result of any shape: the client without a map. */
export interface AnyScenarios {
  [name: string]: { parameters: Record<string, unknown>; result: Record<string, any> };
}

/** Any kind name, any fields: the client without a map. */
export interface AnyKinds {
  [name: string]: { fields: Record<string, unknown> };
}

type RequiredKeys<T> = { [P in keyof T]-?: {} extends Pick<T, P> ? never : P }[keyof T];

/** The parameter list of a call that takes `P`: optional when every field of `P` is. */
export type ArgsOf<P> = [RequiredKeys<P>] extends [never] ? [parameters?: P] : [parameters: P];

/** What a scenario answers besides its data. */
export interface ScenarioEnvelope<D> {
  /** The scenario's data, exactly as the server returned it. */
  readonly data: D;
  /** Tracking ids of everything the scenario created (supporting entities included). */
  readonly trackingIds: string[];
}

/**
 * What `scenario()` resolves to: the scenario's data, so `const { user } = await
 * tdm.scenario(...)` works, with `data` and `trackingIds` as well (`result.data.user`).
 * `data` and `trackingIds` are not enumerable: spreading or serialising the result gives the
 * data alone. A result that is not an object (a list, null) comes as the envelope only.
 */
export type ScenarioResult<D> = D extends readonly unknown[]
  ? ScenarioEnvelope<D>
  : D extends object
    ? Omit<D, "data" | "trackingIds"> & ScenarioEnvelope<D>
    : ScenarioEnvelope<D>;

/** The fields kind `N` takes (any fields when the map does not know it). */
export type FieldsOf<K, N extends string> = N extends keyof K
  ? K[N] extends { fields: infer F }
    ? F
    : Record<string, unknown>
  : Record<string, unknown>;

/** `POST /api/entities/{kind}`: the kind's fields, and `count` for several alike. */
export type CreateFields<K, N extends string> = FieldsOf<K, N> & {
  /** How many to create with these values (1 to 100; default 1). */
  count?: number;
};

/** `POST /api/orders`: an order of a user this server created, its items and status. */
export type CreateOrderFields<K> = FieldsOf<K, "order"> & { userId: number | string };

/** What the baseline scenario returns (the shop's `{seeded, users, products, categories}`). */
export type SeedResult<S> = "baseline" extends keyof S
  ? S["baseline"] extends { result: infer R }
    ? R
    : Record<string, any>
  : Record<string, any>;

export interface CreateResult {
  /** The kind's name in the catalog. */
  entityType: string;
  entities: Entity[];
  trackingIds: string[];
}

export interface CreateUsersResult {
  users: Entity[];
  trackingIds: string[];
}

export interface CreateProductsResult {
  products: Entity[];
  trackingIds: string[];
}

export interface CreateOrderResult {
  order: Entity;
  /** The order's own tracking id. */
  trackingId: string;
  /** Everything the call created: the order, and whatever it needed first. */
  trackingIds: string[];
}

/** One entity a cleanup could not remove (still tracked), or could not find yet. */
export interface Leftover {
  trackingId: string;
  entityType: string;
  entityId: string | null;
  reason: string;
  /** Whether it stays tracked (a later cleanup tries again). */
  kept: boolean;
}

/** `DELETE /api/cleanup`'s answer. */
export interface CleanupReport {
  /** Entities gone now, by plural (`users`, `cartItems`), whether deleted or already gone. */
  deleted: Record<string, number>;
  /** How many of the deleted were gone already. */
  alreadyGone: number;
  /** Entities that are still there, and why. */
  failed: Leftover[];
  /** Creates whose outcome was never seen and whose natural key found nothing (yet). */
  unverified: Leftover[];
  /** Tracking ids asked for that the ledger does not hold. */
  notTracked: string[];
  /** How many tracked entities the selection matched. */
  matched: number;
  /** Nothing is left. */
  complete: boolean;
}

export interface HealthCheck {
  name: string;
  registry: string;
  required: boolean;
  status: "up" | "down";
  reason: string | null;
}

/** A dead run the server's reaper gave up on: its data needs a person (`tdm cleanup --run`). */
export interface StuckRun {
  runId: string;
  reapAttempts: number;
  lastError: string | null;
}

/**
 * `GET /api/health`'s answer (200 when healthy or degraded, 503 when unhealthy). It is
 * degraded when a dependency that is not required is down, or when some run is stuck.
 */
export interface HealthReport {
  status: "healthy" | "degraded" | "unhealthy";
  /** Every check is up, whatever is stuck: clients may start (waitForHealthy waits for it). */
  ready: boolean;
  /** Each dependency (`authService`, `backend`, `database`, and the `ledger`) up or down. */
  dependencies: Record<string, "up" | "down">;
  /** Each check, the ledger's (`ledger`, required) among them. */
  checks: HealthCheck[];
  /** Where the server's ledger is. */
  ledger: string;
  /** Dead runs the reaper gave up on. */
  stuckRuns: StuckRun[];
}

/**
 * A run as `/api/runs` shows it: `held` while a holder renews its lease, `kept` while what it
 * left is kept, `expired` once the reaper may remove its data, `stuck` when the reaper gave up.
 */
export interface RunInfo {
  runId: string;
  /** `ended` only in the answer of `DELETE /api/runs/{id}` for a run the ledger forgot. */
  state: "held" | "kept" | "expired" | "stuck" | "ended";
  createdAt?: string;
  /** Until when the lease holds (ISO 8601, the ledger's clock). */
  leaseUntil?: string | null;
  keepUntil?: string | null;
  /** The holder of the longest lease. */
  holder?: string | null;
  /** Each holder's lease, the longest first (`live`: not run out). */
  holders?: { holder: string; leaseUntil: string; live: boolean }[];
  reapAttempts?: number;
  lastError?: string | null;
  /** How many records the run still has (`GET /api/runs`). */
  records?: number;
  /** The lease's length in seconds (the answers of `POST`, `PUT` and `DELETE`). */
  ttl?: number;
  /** How often to renew the lease, in seconds (likewise). */
  heartbeatInterval?: number;
}

/** One call that created data, for test reports (see `getCreatedEntities()`). */
export interface CreatedEntry {
  /** The client method: `createUser`, `createProduct`, `createOrder`, `create`, `scenario`. */
  operation: string;
  /** The kind, for `create`. */
  kind?: string;
  /** The scenario, for `scenario`. */
  scenario?: string;
  trackingIds: string[];
  /** The answer's body, as the API returned it. */
  result: unknown;
}
