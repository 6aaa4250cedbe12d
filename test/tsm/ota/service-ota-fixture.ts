/**
 * The OTA service tests' world: the demo's key ceremony (factory transport KBPK, SSD handover KBPKs,
 * the bank's issuer and SSD master keys), a TsmService with `ota` options on it, API clients for the
 * MNO and the bank, and the calls the tests make through the API: a batch and an SE registered
 * straight from the factory's key file entry, an SP service for a platform, a deploy, a bounded job wait.
 */
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { toHex } from '../../../src/bytes/index.ts';
import { ARA_M_AID, type ManufacturedBatch } from '../../../src/se/index.ts';
import { closeDatabase, migrateToLatest, openDatabase, type StoreDb } from '../../../src/store/index.ts';
import { addApiClient, TsmService, type TsmOtaOptions } from '../../../src/tsm/index.ts';
import { DEMO_KEYS, DEMO_TENANTS, holdCeremony, type DemoParties } from '../../../src/cli/demo/ceremony.ts';
import { DEMO_PRODUCTS, DEMO_WALLET_CERT_HASH, demoCard, demoFlavour } from '../../../src/cli/demo/cards.ts';

export interface JobJson { jobId: string; state: string; error?: { step: string; code: string; message: string } }

export interface OtaServiceWorld {
  readonly db: StoreDb;
  readonly parties: DemoParties;
  readonly tsm: TsmService;
  readonly logs: string[];
  readonly tokens: { readonly mno: string; readonly sp: string };
  call<T>(token: string, method: 'GET' | 'POST', url: string, payload?: unknown, headers?: Record<string, string>): Promise<T>;
  /** Imports `batch`'s masters and registers card `card` as `seId` (every field from the key file) with a subscription. */
  registerFromKeyFile(batch: ManufacturedBatch, seId: string, options?: { readonly msisdn?: string; readonly card?: number; readonly subscriptionMsisdn?: string }): Promise<void>;
  /** The bank's service with one flavour for `platform`; its id. */
  createService(platform: string): Promise<string>;
  deploy(serviceId: string, seId: string, key: string): Promise<{ instance: { instanceId: string; state: string }; job: JobJson }>;
  /** Polls the job (bounded) until it is in one of `states`. */
  jobIn(jobId: string, states: readonly string[], ms?: number): Promise<JobJson>;
  close(): Promise<void>;
}

/** Starts the world with `ota` (a function of nothing the world makes, e.g. the SMSC's port). */
export async function otaServiceWorld(ota: TsmOtaOptions): Promise<OtaServiceWorld> {
  const db = await openDatabase(':memory:');
  await migrateToLatest(db);
  const parties = await holdCeremony(db);
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const tsm = await TsmService.create({ db, hsm: parties.hsm, config: { bodyLimit: 256 * 1024, logLevel: 'debug' }, logger, jobs: { pollIntervalMs: 50, concurrency: 4 }, ota });
  const tokens = {
    mno: (await addApiClient(db, parties.hsm, { tenant: DEMO_TENANTS.mno, role: 'mno' })).token,
    sp: (await addApiClient(db, parties.hsm, { tenant: DEMO_TENANTS.bank, role: 'sp' })).token,
  };
  const call = async <T>(token: string, method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<T> => {
    const r = await tsm.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...headers }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return r.json<T>();
  };
  let subscriptions = 0;
  return {
    db, parties, tsm, logs, tokens, call,
    registerFromKeyFile: async (batch, seId, options = {}) => {
      const m = batch.keyFile.isd.masterKeys;
      const key = (k: { keyBlock: string; kcv: string }) => ({ block: k.keyBlock, kcv: k.kcv });
      const { batchId } = await call<{ batchId: string }>(tokens.mno, 'POST', '/v1/mno/batches', {
        method: batch.keyFile.isd.diversification, kbpk: DEMO_KEYS.factoryKbpk, keys: { enc: key(m.enc), mac: key(m.mac), dek: key(m.dek) },
      });
      const entry = batch.keyFile.cards[options.card ?? 0]!;
      const msisdn = options.msisdn;
      const ota = entry.tars.length === 0 ? undefined : { tars: entry.tars, scp80: entry.scp80, scp81: entry.scp81, kbpk: DEMO_KEYS.factoryKbpk, ...(msisdn === undefined ? {} : { msisdn }) };
      const r = await call<{ created: number; results: unknown[] }>(tokens.mno, 'POST', '/v1/mno/secure-elements', {
        items: [{
          seId, platform: batch.keyFile.profile.id, araAid: toHex(ARA_M_AID),
          isd: { aid: entry.isdAid, kvn: Number.parseInt(entry.isdKvn, 16), scp: 3, keys: { batchId, kdd: entry.kdd } },
          ...(ota === undefined ? {} : { ota }),
        }],
      });
      assert.equal(r.created, 1, JSON.stringify(r.results));
      // the subscription (MSISDN kept as a keyed hash there): what makes the SE eligible for a deploy
      const number = options.subscriptionMsisdn ?? msisdn ?? `4477009099${String(subscriptions++).padStart(2, '0')}`;
      await call(tokens.mno, 'POST', '/v1/mno/subscriptions', { msisdn: number, seId });
    },
    createService: async (platform) => {
      const issuer = parties.issuer;
      const created = await call<{ serviceId: string }>(tokens.sp, 'POST', '/v1/sp/services', {
        name: `Demo Bank Visa (${platform})`, walletCertHash: DEMO_WALLET_CERT_HASH,
        issuer: {
          imkAc: issuer.imkAc, imkSmi: issuer.imkSmi, imkSmc: issuer.imkSmc, issuerKey: issuer.issuerKey, caPublicKeyIndex: issuer.caPublicKeyIndex,
          issuerCertificate: { certificate: toHex(issuer.issuerCertificate.certificate), remainder: toHex(issuer.issuerCertificate.remainder), exponent: toHex(issuer.issuerCertificate.exponent) },
        },
        ssdMasters: { enc: DEMO_KEYS.ssdMaster('ENC'), mac: DEMO_KEYS.ssdMaster('MAC'), dek: DEMO_KEYS.ssdMaster('DEK') },
        flavours: [demoFlavour(DEMO_PRODUCTS[0], platform)],
      });
      return created.serviceId;
    },
    deploy: (serviceId, seId, key) =>
      call(tokens.sp, 'POST', `/v1/sp/services/${serviceId}/instances`, { seId, card: demoCard(0) }, { 'idempotency-key': key }),
    jobIn: async (jobId, states, ms = 45_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const job = await call<JobJson>(tokens.sp, 'GET', `/v1/jobs/${jobId}`);
        if (states.includes(job.state)) return job;
        if (Date.now() > end) assert.fail(`job ${jobId} still ${job.state} after ${ms} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: async () => {
      await tsm.close();
      parties.hsm.close();
      await closeDatabase(db);
    },
  };
}
