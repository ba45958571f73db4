/**
 * Run ids and seeds, in the forms the server checks: run ids of 1 to 128 characters (letters,
 * digits and `. _ : / @ + -`) sortable by time, `run-20261124T021500-3f9a1c`; seeds whole
 * numbers from 0 to 2^63 - 1, sent as strings.
 */

import { randomBytes } from "node:crypto";

const MAX_RUN_ID = 128;
const RUN_ID = /^[A-Za-z0-9._:/@+-]{1,128}$/;

/** A fresh run id: `run-20261124T021500-3f9a1c` (`prefix` replaces `run`). */
export function newRunId(prefix = "run", now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").slice(0, 15);
  return `${prefix}-${stamp}-${randomBytes(3).toString("hex")}`;
}

/** The run of one part of `base` (a Playwright worker `w0`): `<base>-<part>`. */
export function childRunId(base: string, part: string): string {
  return `${base}-${part}`.slice(0, MAX_RUN_ID);
}

export function isRunId(value: string): boolean {
  return RUN_ID.test(value);
}

/** A fresh random seed (63 bits, so it prints and parses as a plain integer). */
export function newSeed(): string {
  return (randomBytes(8).readBigUInt64BE() >> 1n).toString();
}

const MASK_64 = (1n << 64n) - 1n;

/**
 * The seed of a client's `index`th create (from 0): `seed` itself first, then seeds mixed from
 * it (SplitMix64), so that each call makes values of its own (two calls with one seed would
 * make the same unique values) and the same calls with the same seed make the same data.
 */
export function callSeed(seed: string, index: number): string {
  if (index === 0) {
    return seed;
  }
  let z = (BigInt(seed) + BigInt(index) * 0x9e3779b97f4a7c15n) & MASK_64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return ((z ^ (z >> 31n)) >> 1n).toString();
}
