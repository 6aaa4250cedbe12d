/**
 * The MNO and SP routes' fixture: the HTTP fixture (fixture.ts) plus two MNO tenants (`mno-a`,
 * `mno-b`) and a second SP, a transport KBPK in mno-a's tenant, and a factory batch of real virtual
 * SEs (se/factory) whose key file carries the ISD masters as TR-31 blocks and each card's KDD and
 * ISD key KCVs — so the keys the HSM derives are checked against the factory's, not against itself.
 */
import { randomBytes } from 'node:crypto';
import { wrapKeyBlock } from '../../../src/crypto/index.ts';
import type { OperationContext } from '../../../src/hsm/index.ts';
import { manufactureBatch, STRICT_ESE, type ManufacturedBatch } from '../../../src/se/index.ts';
import { closeDatabase, migrateToLatest, openDatabase, type StoreDb } from '../../../src/store/index.ts';
import { addApiClient, buildApp, createLogger, type RegistryHooks, type SeStatusChange, type TsmApp } from '../../../src/tsm/index.ts';
import { importClear, SPECS } from '../../hsm/conformance/fixture.ts';
import { softwareHsm, type SoftwareUnderTest } from '../../hsm/software-setup.ts';
import { bearer } from './fixture.ts';

export interface MnoOptions {
  /** Largest body (default 16 KiB, as fixture.ts). */
  readonly bodyLimit?: number;
  /** Hooks to install; default: ones that record `seStatusChanged` calls. `null`: none. */
  readonly hooks?: RegistryHooks | null;
}

export interface MnoFixture {
  readonly t: SoftwareUnderTest;
  readonly db: StoreDb;
  readonly app: TsmApp;
  readonly logs: string[];
  /** Bearer tokens: bank-a as SP and as issuer. */
  readonly tokens: { readonly spA: string; readonly issuerA: string };
  close(): Promise<void>;
  readonly mno: { readonly a: string; readonly b: string; readonly spB: string };
  /** mno-a's operation context (for HSM look-ups in assertions). */
  readonly mnoCtx: OperationContext;
  /** The factory's transport KEK (clear, the factory's side) and its id in mno-a's tenant. */
  readonly kek: Uint8Array;
  readonly kbpkId: string;
  readonly batch: ManufacturedBatch;
  /** Every seStatusChanged call. */
  readonly hookCalls: SeStatusChange[];
}

/** A fresh app with MNO clients, a KBPK and a factory batch of `cards` SEs; hooks record their calls. */
export async function mnoFixture(cards = 2, options: MnoOptions = {}): Promise<MnoFixture> {
  const hookCalls: SeStatusChange[] = [];
  const recording: RegistryHooks = { seStatusChanged: (c) => Promise.resolve(void hookCalls.push(c)) };
  const hooks = options.hooks === undefined ? recording : options.hooks;
  const t = await softwareHsm();
  const db = await openDatabase(':memory:');
  await migrateToLatest(db);
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
  const app = buildApp({ db, hsm: t.hsm, config: { bodyLimit: options.bodyLimit ?? 16 * 1024, logLevel: 'info' }, logger, ...(hooks === null ? {} : { registryHooks: hooks }) });
  await app.ready();
  const tokens = {
    spA: (await addApiClient(db, t.hsm, { tenant: 'bank-a', role: 'sp' })).token,
    issuerA: (await addApiClient(db, t.hsm, { tenant: 'bank-a', role: 'issuer' })).token,
  };
  const f = {
    t, db, app, logs, tokens,
    close: async () => {
      await app.close();
      await closeDatabase(db);
      t.hsm.close();
    },
  };
  const mnoCtx: OperationContext = { ...f.t.ctx, tenant: 'mno-a' };
  const kek = new Uint8Array(randomBytes(32));
  const kbpk = await importClear(f.t, { ...SPECS.kbpkA, owner: 'mno-a', label: 'factory KBPK' }, kek, mnoCtx);
  const batch = manufactureBatch({
    profile: STRICT_ESE, count: cards, withPayment: false,
    batchMasterKeys: { enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) },
    transportKek: { algorithm: 'aes', key: kek },
  });
  const mno = {
    a: (await addApiClient(f.db, f.t.hsm, { tenant: 'mno-a', role: 'mno' })).token,
    b: (await addApiClient(f.db, f.t.hsm, { tenant: 'mno-b', role: 'mno' })).token,
    spB: (await addApiClient(f.db, f.t.hsm, { tenant: 'bank-b', role: 'sp' })).token,
  };
  return { ...f, mno, mnoCtx, kek, kbpkId: kbpk.id, batch, hookCalls };
}

/** Runs `body` on a fresh MNO fixture and closes it. */
export async function withMno(body: (f: MnoFixture) => Promise<void>, cards = 2, options: MnoOptions = {}): Promise<void> {
  const f = await mnoFixture(cards, options);
  try {
    await body(f);
  } finally {
    await f.close();
  }
}

/** The batch import body of the fixture's key file. */
export function batchBody(f: MnoFixture): Record<string, unknown> {
  const m = f.batch.keyFile.isd.masterKeys;
  const key = (k: { keyBlock: string; kcv: string }) => ({ block: k.keyBlock, kcv: k.kcv });
  return { method: f.batch.keyFile.isd.diversification, kbpk: 'factory KBPK', keys: { enc: key(m.enc), mac: key(m.mac), dek: key(m.dek) } };
}

/** Imports the fixture's batch as mno-a; returns its id. */
export async function importBatch(f: MnoFixture): Promise<string> {
  const r = await f.app.inject({ method: 'POST', url: '/v1/mno/batches', headers: bearer(f.mno.a), payload: batchBody(f) });
  if (r.statusCode !== 201) throw new Error(`batch import: ${r.statusCode} ${r.body}`);
  return r.json<{ batchId: string }>().batchId;
}

/** A registration item for card `i` of the batch (derived keys). */
export function seItem(f: MnoFixture, batchId: string, i: number, seId = `se-${i}`): Record<string, unknown> {
  const card = f.batch.keyFile.cards[i]!;
  return { seId, platform: 'strict-ese', isd: { aid: card.isdAid, kvn: Number.parseInt(card.isdKvn, 16), scp: 3, keys: { batchId, kdd: card.kdd } } };
}

/** A TR-31 block (version D, under the fixture's KEK) of a clear key with a usage and mode. */
export function block(f: MnoFixture, clear: Uint8Array, usage: 'E5' | 'K0' | 'B3', modeOfUse: 'X' | 'E'): string {
  return wrapKeyBlock(f.kek, clear, { header: { version: 'D', usage, algorithm: 'A', modeOfUse, exportability: 'S', keyVersion: '00' } });
}

/** Registers cards `0..n-1` as mno-a (derived keys); returns the seIds. */
export async function registerSes(f: MnoFixture, batchId: string, n = 1): Promise<string[]> {
  const items = Array.from({ length: n }, (_, i) => seItem(f, batchId, i));
  const r = await f.app.inject({ method: 'POST', url: '/v1/mno/secure-elements', headers: bearer(f.mno.a), payload: { items } });
  if (r.statusCode !== 200 || r.json<{ created: number }>().created !== n) throw new Error(`register: ${r.statusCode} ${r.body}`);
  return items.map((i) => i['seId'] as string);
}
