/**
 * A fake "card" for the job engine tests: it records every effect per SE, counts how often each
 * happened, instruments overlap (per SE and overall), and can crash the engine at a chosen point —
 * just before or just after an effect — the way a killed process would stop.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Thrown by the card where the test kills the engine; the engine was abandoned just before. */
export class SimulatedCrash extends Error {
  constructor(where: string) {
    super(`simulated crash ${where}`);
  }
}

/** Where to crash: before or after `effect` on any SE, calling `kill` first. */
export interface CrashPoint {
  readonly effect: string;
  readonly when: 'before' | 'after';
  readonly kill: () => void;
}

export class FakeCard {
  /** Every effect applied, in order, as `seId:effect`. */
  readonly log: string[] = [];
  /** Effects present on each SE. */
  readonly present = new Map<string, Set<string>>();
  /** How many times each `seId:effect` was applied. */
  readonly counts = new Map<string, number>();
  /** How many verify calls were made, per `seId:effect`. */
  readonly verifies = new Map<string, number>();
  readonly #activePerSe = new Map<string, number>();
  #active = 0;
  maxActivePerSe = 0;
  maxActive = 0;
  crash: CrashPoint | undefined;
  /** Crash while verifying this effect (a second crash, during recovery). */
  crashOnVerify: { readonly effect: string; readonly kill: () => void } | undefined;

  constructor(readonly delayMs = 0) {}

  /** Applies `effect` on `seId` once (the card has no idempotence of its own: a second apply counts twice). */
  async apply(seId: string, effect: string): Promise<void> {
    const perSe = (this.#activePerSe.get(seId) ?? 0) + 1;
    this.#activePerSe.set(seId, perSe);
    this.#active++;
    this.maxActivePerSe = Math.max(this.maxActivePerSe, perSe);
    this.maxActive = Math.max(this.maxActive, this.#active);
    try {
      await sleep(this.delayMs);
      this.#maybeCrash(effect, 'before');
      const key = `${seId}:${effect}`;
      this.log.push(key);
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      let set = this.present.get(seId);
      if (set === undefined) this.present.set(seId, (set = new Set()));
      set.add(effect);
      this.#maybeCrash(effect, 'after');
    } finally {
      this.#activePerSe.set(seId, (this.#activePerSe.get(seId) ?? 1) - 1);
      this.#active--;
    }
  }

  /** Whether `effect` is on `seId` (what GET STATUS / GET DATA would tell), counted as a verify. */
  has(seId: string, effect: string): boolean {
    const key = `${seId}:${effect}`;
    this.verifies.set(key, (this.verifies.get(key) ?? 0) + 1);
    const crash = this.crashOnVerify;
    if (crash !== undefined && crash.effect === effect) {
      this.crashOnVerify = undefined;
      crash.kill();
      throw new SimulatedCrash(`verifying ${effect}`);
    }
    return this.present.get(seId)?.has(effect) ?? false;
  }

  count(seId: string, effect: string): number {
    return this.counts.get(`${seId}:${effect}`) ?? 0;
  }

  #maybeCrash(effect: string, when: 'before' | 'after'): void {
    const point = this.crash;
    if (point === undefined || point.effect !== effect || point.when !== when) return;
    this.crash = undefined;
    point.kill();
    throw new SimulatedCrash(`${when} ${effect}`);
  }
}
