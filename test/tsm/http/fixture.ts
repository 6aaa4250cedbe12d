/**
 * The HTTP app as the route tests run it: the software HSM (test/hsm/software-setup.ts), SQLite in
 * memory, the log captured line by line, and API clients of two issuer tenants plus an SP. Issuer
 * data comes from the published pyemv chains (test/helpers/emv-chains.ts), as test/tsm/issuer-suite.ts
 * does: the request a terminal would send, here as JSON with hex bytes.
 */
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { CVN_PROFILES, buildIad } from '../../../src/emv/index.ts';
import type { Hsm } from '../../../src/hsm/index.ts';
import { closeDatabase, migrateToLatest, openDatabase, type StoreDb } from '../../../src/store/index.ts';
import { addApiClient, buildApp, createLogger, type AppDeps, type TsmApp } from '../../../src/tsm/index.ts';
import { importClear, SPECS } from '../../hsm/conformance/fixture.ts';
import { softwareHsm, type SoftwareUnderTest } from '../../hsm/software-setup.ts';
import { EMV_CHAINS, type EmvChain } from '../../helpers/emv-chains.ts';
import { byName, loadCaptured } from '../../emv/captured.ts';

const VECTORS = [...loadCaptured('emv/arqc.json'), ...loadCaptured('emv/arpc.json'), ...loadCaptured('emv/secure-messaging.json')];
/** The expected value of a captured vector. */
export const vector = (name: string): string => byName(VECTORS, name).expected;

/** Interac's IAD is not in our layout; the visa-22 chain's AC records are CVN 18's (as issuer-suite.ts). */
export const CHAINS = EMV_CHAINS.filter((c) => c.profile !== 'interac-133' && c.profile !== 'visa-22');

export interface HttpFixture {
  readonly t: SoftwareUnderTest;
  readonly db: StoreDb;
  readonly app: TsmApp;
  /** Every log line so far (JSON text). */
  readonly logs: string[];
  /** Bearer tokens `<client-id>.<secret>`. */
  readonly tokens: { readonly issuerA: string; readonly issuerB: string; readonly spA: string };
  /** bank-a's issuer master keys (ids). */
  readonly imk: { readonly ac: string; readonly smi: string; readonly smc: string };
  close(): Promise<void>;
}

export interface FixtureOptions {
  readonly bodyLimit?: number;
  readonly https?: AppDeps['https'];
  /** Wraps the HSM the app sees (fault injection). */
  readonly wrapHsm?: (hsm: Hsm) => Hsm;
}

/** A fresh app with its own HSM, store and clients. */
export async function httpFixture(options: FixtureOptions = {}): Promise<HttpFixture> {
  const t = await softwareHsm();
  const db = await openDatabase(':memory:');
  await migrateToLatest(db);
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
  const hsm = options.wrapHsm?.(t.hsm) ?? t.hsm;
  const app = buildApp({ db, hsm, config: { bodyLimit: options.bodyLimit ?? 16 * 1024, logLevel: 'info' }, logger, ...(options.https === undefined ? {} : { https: options.https }) });
  const chain = CHAINS[0]!;
  const imk = {
    ac: (await importClear(t, SPECS.imkAc, fromHex(chain.imk.ac))).id,
    smi: (await importClear(t, SPECS.imkSmi, fromHex(chain.imk.smi))).id,
    smc: (await importClear(t, SPECS.imkSmc, fromHex(chain.imk.smc))).id,
  };
  const tokens = {
    issuerA: (await addApiClient(db, t.hsm, { tenant: 'bank-a', role: 'issuer' })).token,
    issuerB: (await addApiClient(db, t.hsm, { tenant: 'bank-b', role: 'issuer' })).token,
    spA: (await addApiClient(db, t.hsm, { tenant: 'bank-a', role: 'sp' })).token,
  };
  await app.ready();
  return {
    t, db, app, logs, tokens, imk,
    close: async () => {
      await app.close();
      await closeDatabase(db);
      t.hsm.close();
    },
  };
}

/** Runs `body` on a fresh fixture and closes it. */
export async function withApp(body: (f: HttpFixture) => Promise<void>, options: FixtureOptions = {}): Promise<void> {
  const f = await httpFixture(options);
  try {
    await body(f);
  } finally {
    await f.close();
  }
}

/** The Authorization header of a token. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** The register body of a chain's card with bank-a's IMKs (ids, or the labels when `byLabel`). */
export function registerBody(f: HttpFixture, chain: EmvChain, byLabel = false): Record<string, string> {
  const keys = byLabel ? { imkAc: 'IMK-AC', imkSmi: 'IMK-SMI', imkSmc: 'IMK-SMC' } : { imkAc: f.imk.ac, imkSmi: f.imk.smi, imkSmc: f.imk.smc };
  return { pan: chain.pan, psn: chain.psn, profile: chain.profile, ...keys };
}

/** The JSON authorization request a terminal would send for the chain's transaction. */
export function authorizationBody(chain: EmvChain): { pan: string; psn: string; cryptogram: string; cid: string; data: Record<string, string> } {
  const { CVR, COUNTERS, ...tags } = chain.acElements;
  const data: Record<string, string> = { ...tags };
  if (CVR !== undefined) {
    data['9F10'] = toHex(buildIad(CVN_PROFILES[chain.profile], { dki: 1, cvr: fromHex(CVR), ...(COUNTERS === undefined ? {} : { counters: fromHex(COUNTERS) }) }));
  }
  return { pan: chain.pan, psn: chain.psn, cryptogram: vector(chain.steps.arqc), cid: '80', data };
}

/** bank-a's IMKs of a chain whose keys are not the fixture's (imported without labels). */
async function chainKeys(f: HttpFixture, chain: EmvChain): Promise<Record<string, string>> {
  if (chain.imk.ac === CHAINS[0]!.imk.ac) return registerBody(f, chain);
  const id = async (spec: Parameters<typeof importClear>[1], hex: string) => (await importClear(f.t, { ...spec, label: 'chain' }, fromHex(hex))).id;
  return { pan: chain.pan, psn: chain.psn, profile: chain.profile, imkAc: await id(SPECS.imkAc, chain.imk.ac), imkSmi: await id(SPECS.imkSmi, chain.imk.smi), imkSmc: await id(SPECS.imkSmc, chain.imk.smc) };
}

/** Registers the chain's card as bank-a over the app; returns its id. */
export async function registerCard(f: HttpFixture, chain: EmvChain): Promise<string> {
  const r = await f.app.inject({ method: 'POST', url: '/v1/issuer/cards', headers: bearer(f.tokens.issuerA), payload: await chainKeys(f, chain) });
  assert.equal(r.statusCode, 201, r.body);
  return r.json<{ cardId: string }>().cardId;
}

/** The JSON body of an error answer. */
export function errorOf(body: string): { code: string; message: string; requestId: string } {
  return (JSON.parse(body) as { error: { code: string; message: string; requestId: string } }).error;
}
