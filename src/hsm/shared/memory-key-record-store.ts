/**
 * A KeyRecordStore in memory: for tests and the embedded default (a short-lived HSM, the CLI).
 * Records are frozen copies; `putKey` replaces a record whole (atomic per record, as the interface
 * asks). `store/` provides the SQL implementation.
 */
import type { CustodianRecord, KeyRecord, KeyRecordStore } from '../key-record-store.ts';

export class MemoryKeyRecordStore implements KeyRecordStore {
  readonly #keys = new Map<string, KeyRecord>();
  readonly #custodians = new Map<string, CustodianRecord>();

  getKey(id: string): Promise<KeyRecord | undefined> {
    return Promise.resolve(this.#keys.get(id));
  }

  putKey(record: KeyRecord): Promise<void> {
    this.#keys.set(record.id, Object.isFrozen(record) ? record : Object.freeze({ ...record }));
    return Promise.resolve();
  }

  listKeys(filter: { readonly owner?: string; readonly usage?: string; readonly label?: string; readonly status?: KeyRecord['status'] }): Promise<readonly KeyRecord[]> {
    const out = [...this.#keys.values()].filter(
      (r) =>
        (filter.owner === undefined || r.attributes.owner === filter.owner) &&
        (filter.usage === undefined || r.attributes.usage === filter.usage) &&
        (filter.label === undefined || r.attributes.label === filter.label) &&
        (filter.status === undefined || r.status === filter.status),
    );
    return Promise.resolve(out);
  }

  listKeysNotUnder(lmkKcv: string, limit: number): Promise<readonly KeyRecord[]> {
    const out: KeyRecord[] = [];
    for (const r of this.#keys.values()) {
      if (out.length >= limit) break;
      if (r.lmkKcv !== lmkKcv) out.push(r);
    }
    return Promise.resolve(out);
  }

  getCustodian(name: string): Promise<CustodianRecord | undefined> {
    return Promise.resolve(this.#custodians.get(name));
  }

  putCustodian(record: CustodianRecord): Promise<void> {
    this.#custodians.set(record.name, Object.freeze({ ...record }));
    return Promise.resolve();
  }

  listCustodians(): Promise<readonly CustodianRecord[]> {
    return Promise.resolve([...this.#custodians.values()]);
  }

  /** Everything stored, as JSON (tests scan it for secrets). */
  dump(): string {
    return JSON.stringify({ keys: [...this.#keys.values()], custodians: [...this.#custodians.values()] });
  }
}
