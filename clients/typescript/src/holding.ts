/**
 * Holding a run: a client that made up its run id says it is alive, so that what it leaves
 * when it is killed is removed by the server's reaper once its lease runs out (and never
 * while it lives). `POST /api/runs` opens the lease; a timer renews it every
 * `heartbeatInterval` seconds (the server says how often) with `PUT /api/runs/{id}/lease`;
 * `DELETE /api/runs/{id}` ends it, keeping what is left for `keep` or leaving it to the reaper.
 *
 * The timer is unref'd: a forgotten client never keeps Node alive, and a process that exits
 * without releasing its run simply stops renewing it.
 */

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

import { type Call, send, type Transport } from "./http.js";
import type { RunInfo } from "./types.js";

/** This process's name as a holder of leases: `typescript:<host>:<pid>:<8 hex>`. */
export function newHolder(): string {
  return `typescript:${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/** A keep time for the server: a duration (`10m`, `1h30m`) or whole seconds. */
export type Keep = string | number;

function keepText(keep: Keep): string {
  return typeof keep === "number" ? `${Math.max(Math.floor(keep), 1)}s` : keep;
}

function runPath(runId: string): string {
  // A run id may hold a `/`: the server reads `.../lease` at the end of the path.
  return `/api/runs/${runId.split("/").map(encodeURIComponent).join("/")}`;
}

/** A lease held on one run, renewed by a timer until {@link Lease.release}. */
export class Lease {
  readonly runId: string;
  readonly holder: string;
  /** Between renewals, in ms, as the server asked. */
  readonly intervalMs: number;
  readonly #transport: Transport;
  readonly #timer: NodeJS.Timeout;
  /** The renewal under way, if any: a release waits for it, so it cannot land after the end. */
  #renewal: Promise<void> | undefined;

  private constructor(transport: Transport, runId: string, holder: string, intervalMs: number) {
    this.#transport = transport;
    this.runId = runId;
    this.holder = holder;
    this.intervalMs = intervalMs;
    this.#timer = setInterval(() => this.#renew(), intervalMs);
    this.#timer.unref();
  }

  /**
   * Hold `runId` (`POST /api/runs`): the lease, or `null` when the server holds no runs (one
   * older than `/api/runs`, which answers 404): then nothing is held.
   */
  static async open(transport: Transport, runId: string, holder: string): Promise<Lease | null> {
    const call: Call = { method: "POST", path: "/api/runs", body: { runId, holder }, accept: [404] };
    const answer = (await send(transport, call)) as Partial<RunInfo> | undefined;
    if (typeof answer !== "object" || answer === null || answer.runId === undefined) {
      return null;
    }
    const seconds = Number(answer.heartbeatInterval) > 0 ? Number(answer.heartbeatInterval) : 10;
    return new Lease(transport, runId, holder, seconds * 1000);
  }

  #renew(): void {
    if (this.#renewal !== undefined) {
      return; // the last renewal is still under way (retrying): the lease outlives a few
    }
    const call: Call = {
      method: "PUT",
      path: `${runPath(this.runId)}/lease`,
      body: { holder: this.holder },
      timeoutMs: Math.min(this.#transport.timeoutMs, Math.max(this.intervalMs * 3, 5000)),
    };
    this.#renewal = send(this.#transport, call)
      .then(
        () => undefined,
        (error: unknown) => {
          const why = error instanceof Error ? error.message : String(error);
          process.emitWarning(`renewing the lease of run ${this.runId} failed: ${why}`, "TdmWarning");
        },
      )
      .finally(() => {
        this.#renewal = undefined;
      });
  }

  /** Stop renewing and end the lease: what the run left is kept `keep`, else reaped. */
  async release(keep?: Keep): Promise<RunInfo> {
    clearInterval(this.#timer);
    await this.#renewal;
    const body: { holder: string; keep?: string } = { holder: this.holder };
    if (keep !== undefined) {
      body.keep = keepText(keep);
    }
    return (await send(this.#transport, {
      method: "DELETE",
      path: runPath(this.runId),
      body,
    })) as RunInfo;
  }
}
