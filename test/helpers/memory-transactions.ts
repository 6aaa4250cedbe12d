/** Persistent applet data in memory, one transaction per command (the CardTransactions contract of se/runtime). */
import { toHex } from '../../src/bytes/index.ts';
import type { CardTransactions } from '../../src/se/runtime/applet.ts';

export class MemoryTransactions implements CardTransactions {
  readonly #committed = new Map<string, unknown>();
  #staged = new Map<string, unknown>();

  begin(): void {
    this.#staged = new Map();
  }
  commit(): void {
    for (const [k, v] of this.#staged) this.#committed.set(k, v);
    this.#staged = new Map();
  }
  rollback(): void {
    this.#staged = new Map();
  }
  appletData(aid: Uint8Array): unknown {
    const key = toHex(aid);
    return this.#staged.has(key) ? this.#staged.get(key) : this.#committed.get(key);
  }
  stageAppletData(aid: Uint8Array, data: unknown): void {
    this.#staged.set(toHex(aid), data);
  }
  /** No registry here: life cycle states are refused. */
  stageApplicationState(): boolean {
    return false;
  }
}
