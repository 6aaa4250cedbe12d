/**
 * The demo's world, also what the TSM benchmark and the end-to-end test start: a key ceremony, the
 * TSM service on a loopback port (plain HTTP: the development mode of docs/service.md §1) with its
 * job engine and wallet relay, API clients for the MNO, the bank (SP) and its issuer host, a fleet of
 * phones registered by the MNO over the API and connected to the relay, and the bank's two payment
 * services created over the API.
 */
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { SigningIdentity } from '../../device/index.ts';
import type { StoreDb } from '../../store/index.ts';
import { HttpAuthorizer, TsmClient, TsmService, addApiClient } from '../../tsm/index.ts';
import { connectAgents, type FleetAgents } from '../fleet/agents.ts';
import { registerFleet, type RegisteredPhone } from '../fleet/operator.ts';
import { manufactureFleet, type Fleet } from '../fleet/phones.ts';
import { DEMO_KEYS, DEMO_TENANTS, holdCeremony, type DemoParties } from './ceremony.ts';
import { DEMO_PRODUCTS, DEMO_WALLET_PACKAGE, demoFlavour } from './cards.ts';
import { toHex } from '../../bytes/index.ts';

export interface DemoWorld {
  readonly parties: DemoParties;
  readonly tsm: TsmService;
  readonly baseUrl: string;
  readonly mno: TsmClient;
  readonly sp: TsmClient;
  readonly authorizer: HttpAuthorizer;
  /** The bank's issuer host (TEE enrollment, issuer scripts). */
  readonly issuerApi: TsmClient;
  /** The bank's wallet app: its signing identity is what the ARA-M rules name (the services' walletCertHash). */
  readonly wallet: SigningIdentity;
  readonly fleet: Fleet;
  readonly phones: readonly RegisteredPhone[];
  readonly agents: FleetAgents;
  /** The bank's service id per product, in DEMO_PRODUCTS order. */
  readonly serviceIds: readonly string[];
  close(): Promise<void>;
}

export interface DemoWorldOptions {
  readonly phones: number;
  /** Jobs the engine drives at once. */
  readonly jobConcurrency?: number;
  /** Progress lines (stderr in the CLI). */
  readonly say?: (line: string) => void;
}

/** Starts the world on `db` (migrated). */
export async function startDemoWorld(db: StoreDb, options: DemoWorldOptions): Promise<DemoWorld> {
  const say = options.say ?? (() => undefined);
  say('key ceremony: two custodians form the LMK from components; factory transport KEK and SSD handover KBPK as components; CA, issuer and SSD master keys in the HSM');
  const parties = await holdCeremony(db);
  const closers: (() => Promise<void>)[] = [() => Promise.resolve(parties.hsm.close())];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    say(`  LMK KCV ${parties.lmkKcv}`);
    const tsm = await TsmService.create({
      db, hsm: parties.hsm, config: { bodyLimit: 256 * 1024, logLevel: 'warn' }, logger: pino({ level: 'warn' }),
      jobs: { concurrency: options.jobConcurrency ?? 16, pollIntervalMs: 200 },
    });
    closers.push(() => tsm.close());
    await tsm.listen({ host: '127.0.0.1', port: 0 });
    const baseUrl = `http://127.0.0.1:${(tsm.app.server.address() as AddressInfo).port}`;
    say(`TSM service: ${baseUrl} (MNO, SP and issuer APIs, wallet relay at /v1/relay; plain HTTP on loopback for the demo)`);
    const client = async (tenant: string, role: string) => (await addApiClient(db, parties.hsm, { tenant, role })).token;
    const mno = new TsmClient({ baseUrl, token: await client(DEMO_TENANTS.mno, 'mno') });
    const sp = new TsmClient({ baseUrl, token: await client(DEMO_TENANTS.bank, 'sp') });
    const issuerToken = await client(DEMO_TENANTS.bank, 'issuer');
    const authorizer = new HttpAuthorizer({ baseUrl, token: issuerToken });
    const issuerApi = new TsmClient({ baseUrl, token: issuerToken });
    const wallet = SigningIdentity.create({ packageName: DEMO_WALLET_PACKAGE });
    const fleet = manufactureFleet(options.phones, parties.manufacturerKek);
    say(`card factory: ${fleet.phones.length} embedded SEs (payment package, PPSE, ARA-M); batch keys as TR-31 blocks under the transport KEK`);
    let lastTenth = -1;
    const phones = await registerFleet(mno, fleet, DEMO_KEYS.factoryKbpk, (done) => {
      const tenth = Math.floor((done * 10) / fleet.phones.length);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        say(`MNO: SEs registered, subscriptions and relay tokens: ${done}/${fleet.phones.length}`);
      }
    });
    const agents = await connectAgents(baseUrl, phones);
    closers.push(() => agents.stop());
    say(`phones: ${agents.agents.length} wallet agents connected to the relay`);
    const issuer = parties.issuer;
    const serviceIds: string[] = [];
    for (const product of DEMO_PRODUCTS) {
      const created = await sp.call<{ serviceId: string }>('POST', '/v1/sp/services', {
        name: product.name, walletCertHash: wallet.certificateHashHex(),
        issuer: {
          imkAc: issuer.imkAc, imkSmi: issuer.imkSmi, imkSmc: issuer.imkSmc, issuerKey: issuer.issuerKey, caPublicKeyIndex: issuer.caPublicKeyIndex,
          issuerCertificate: { certificate: toHex(issuer.issuerCertificate.certificate), remainder: toHex(issuer.issuerCertificate.remainder), exponent: toHex(issuer.issuerCertificate.exponent) },
        },
        ssdMasters: { enc: DEMO_KEYS.ssdMaster('ENC'), mac: DEMO_KEYS.ssdMaster('MAC'), dek: DEMO_KEYS.ssdMaster('DEK') },
        flavours: [demoFlavour(product, fleet.platform)],
      });
      serviceIds.push(created.serviceId);
    }
    say(`bank: ${serviceIds.length} payment services with flavours for ${fleet.platform}`);
    return { parties, tsm, baseUrl, mno, sp, authorizer, issuerApi, wallet, fleet, phones, agents, serviceIds, close };
  } catch (e) {
    await close();
    throw e;
  }
}
