/**
 * The demo's world, also what the TSM benchmark and the end-to-end test start: a key ceremony, the
 * TSM service on a loopback port (plain HTTP: the development mode of docs/service.md §1) with its
 * job engine and wallet relay, API clients for the MNO, the bank (SP) and its issuer host, a fleet of
 * phones registered by the MNO over the API and connected to the relay, and the bank's two payment
 * services created over the API.
 *
 * The bearer (`bearer`, default `relay`) says how the TSM reaches the phones' SEs:
 * - `relay`: embedded SEs, each phone's wallet agent on the TSM's WebSocket relay;
 * - `sms`: UICCs registered with their factory OTA keys, SCP81 PSK and MSISDN, an SMSC simulator
 *   (SMPP on loopback) standing for the operator's SMSC with every phone's handset on it: the TSM
 *   reaches a card only by a secured trigger SMS and the SCP81 admin session the card then opens;
 * - `scp81`: the same UICCs without any SMS: each card opens admin sessions on its own initiative
 *   (GPC Amd B), polling its configured admin server (the TSM's SCP81 port) on a timer.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { fromHex, toHex } from '../../bytes/index.ts';
import { SigningIdentity } from '../../device/index.ts';
import type { AdminSessionRequest } from '../../se/index.ts';
import type { StoreDb } from '../../store/index.ts';
import { HttpAuthorizer, TsmClient, TsmService, addApiClient, type TsmOtaOptions } from '../../tsm/index.ts';
import { CardAdminAgents, connectAgents, type AdminAgentStats, type FleetAgents } from '../fleet/agents.ts';
import { fleetMsisdn, registerFleet, type RegisteredPhone } from '../fleet/operator.ts';
import { manufactureFleet, type Fleet, type FleetPhone } from '../fleet/phones.ts';
import { SmscSimulator, type SmscStats } from '../fleet/smsc-simulator.ts';
import { virtualHandset } from '../fleet/virtual-handset.ts';
import { DEMO_KEYS, DEMO_TENANTS, holdCeremony, type DemoParties } from './ceremony.ts';
import { DEMO_PRODUCTS, DEMO_WALLET_PACKAGE, demoFlavour } from './cards.ts';

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
  readonly bearer: DemoBearer;
  /** The over-the-air side (`sms`, `scp81`): what the cards' admin agents, the trigger and the SMSC did. */
  readonly ota?: DemoOta;
  close(): Promise<void>;
}

/** How the TSM reaches the phones' SEs (see the file header). */
export const DEMO_BEARERS = ['relay', 'sms', 'scp81'] as const;
export type DemoBearer = (typeof DEMO_BEARERS)[number];

/** The over-the-air side of a UICC world. */
export interface DemoOta {
  /** The cards' SCP81 admin agents. */
  readonly cards: CardAdminAgents;
  /** The SMSC simulator (`sms` only). */
  readonly smsc?: SmscSimulator;
  /** Counters so far: trigger SMS sent by the TSM (and how many PoRs said OK), the agents', the SMSC's. */
  stats(): DemoOtaStats;
}

export interface DemoOtaStats {
  readonly triggers: number;
  readonly porOk: number;
  readonly agents: Readonly<AdminAgentStats>;
  readonly smsc?: Readonly<SmscStats>;
}

/** Timings of the OTA bearers in the demo (loopback: short). */
const OTA_TIMING = {
  /** An admin session with nothing to send ends after this (the bearer's 204). */
  idleMs: 1_000,
  /**
   * At most one trigger SMS per SE per this (a trigger's round trip on loopback is well under it);
   * no longer than idleMs, so a job that wants the card again just after its session ended is not
   * held back.
   */
  triggerIntervalMs: 1_000,
  /** A job still waits and no session opened this long after the last trigger ended: trigger again (a lost SMS or PoR). */
  retriggerAfterMs: 5_000,
  /** `scp81`: the "trigger" sends nothing (the bearer loads the card's PSK for its next poll): no need to space them. */
  pollTriggerIntervalMs: 50,
  /** `scp81`: a few polls' time — the PSK is loaded again if the card did not come. */
  pollRetriggerAfterMs: 1_500,
  /** How long a trigger waits for the card's PoR. */
  porTimeoutMs: 10_000,
  /** `scp81`: a card polls its admin server about this often; its idle session ends sooner. */
  pollMs: 400,
  pollIdleMs: 250,
} as const;

export interface DemoWorldOptions {
  readonly phones: number;
  /** How the TSM reaches the SEs (default `relay`). */
  readonly bearer?: DemoBearer;
  /** `scp81`: how often each card polls (default 400 ms). */
  readonly pollMs?: number;
  /** Jobs the engine drives at once. */
  readonly jobConcurrency?: number;
  /** Progress lines (stderr in the CLI). */
  readonly say?: (line: string) => void;
}

/** The SMSC simulator of a `sms` world and the credentials the TSM binds with (a fresh password per run). */
async function startSmsc(): Promise<{ smsc: SmscSimulator; password: string }> {
  const password = randomBytes(6).toString('base64url');
  return { smsc: await SmscSimulator.start({ systemId: 'opentsm', password, delayMs: 1, maxQueue: 4096 }), password };
}

/** `TsmServiceOptions.ota` for `bearer` (undefined for the relay). */
function otaOptions(bearer: DemoBearer, smsc: { smsc: SmscSimulator; password: string } | undefined, onTrigger: (porOk: boolean) => void): TsmOtaOptions | undefined {
  if (bearer === 'relay') return undefined;
  const scp81 = bearer === 'scp81'
    ? { idleMs: OTA_TIMING.pollIdleMs, triggerIntervalMs: OTA_TIMING.pollTriggerIntervalMs, retriggerAfterMs: OTA_TIMING.pollRetriggerAfterMs }
    : { idleMs: OTA_TIMING.idleMs, triggerIntervalMs: OTA_TIMING.triggerIntervalMs, retriggerAfterMs: OTA_TIMING.retriggerAfterMs };
  if (smsc === undefined) return { scp81 };
  return {
    scp81, porTimeoutMs: OTA_TIMING.porTimeoutMs, onTriggerSent: (e) => onTrigger(e.porStatus === 0),
    smpp: { host: '127.0.0.1', port: smsc.smsc.port, systemId: 'opentsm', password: smsc.password, sourceAddress: '12345', responseTimeoutMs: 5_000 },
  };
}

/**
 * The service's log: warnings and errors on stderr (stdout carries the summary). With `scp81`, a
 * poll the admin server refuses at the handshake (it holds a card's PSK only while a job wants the
 * card) is counted by the cards' agents (`refused`), not logged once per poll.
 */
function demoLogger(bearer: DemoBearer): Logger {
  return pino({ level: 'warn' }, {
    write: (line: string) => {
      if (bearer === 'scp81' && line.includes('"code":"ERR_OTA_TLS"') && line.includes('"msg":"scp81 bearer"')) return;
      process.stderr.write(line);
    },
  });
}

/** What the progress line says of the fleet. */
function fleetLine(bearer: DemoBearer, n: number): string {
  if (bearer === 'relay') return `card factory: ${n} embedded SEs (payment package, PPSE, ARA-M); batch keys as TR-31 blocks under the transport KEK`;
  return `card factory: ${n} UICCs (payment package, PPSE, ARA-M, an AES SCP80 key set and an SCP81 PSK each); batch keys, OTA keys and PSKs as TR-31 blocks under the transport KEK`;
}

/** Starts the world on `db` (migrated). */
export async function startDemoWorld(db: StoreDb, options: DemoWorldOptions): Promise<DemoWorld> {
  const say = options.say ?? (() => undefined);
  const bearer = options.bearer ?? 'relay';
  if (!(DEMO_BEARERS as readonly string[]).includes(bearer)) throw new Error(`bearer: expected ${DEMO_BEARERS.join(', ')}, got ${JSON.stringify(bearer)}`);
  say('key ceremony: two custodians form the LMK from components; factory transport KEK and SSD handover KBPK as components; CA, issuer and SSD master keys in the HSM');
  const parties = await holdCeremony(db);
  const closers: (() => Promise<void>)[] = [() => Promise.resolve(parties.hsm.close())];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    say(`  LMK KCV ${parties.lmkKcv}`);
    const smsc = bearer === 'sms' ? await startSmsc() : undefined;
    if (smsc !== undefined) closers.push(() => smsc.smsc.close());
    const triggers = { sent: 0, porOk: 0 };
    const tsm = await TsmService.create({
      db, hsm: parties.hsm, config: { bodyLimit: 256 * 1024, logLevel: 'warn' }, logger: demoLogger(bearer),
      jobs: { concurrency: options.jobConcurrency ?? 16, pollIntervalMs: 200 },
      ...optional('ota', otaOptions(bearer, smsc, (ok) => {
        triggers.sent++;
        if (ok) triggers.porOk++;
      })),
    });
    closers.push(() => tsm.close());
    await tsm.listen({ host: '127.0.0.1', port: 0 });
    const baseUrl = `http://127.0.0.1:${(tsm.app.server.address() as AddressInfo).port}`;
    say(`TSM service: ${baseUrl} (MNO, SP and issuer APIs, wallet relay at /v1/relay; plain HTTP on loopback for the demo)`);
    const scp81 = tsm.ota?.scp81.address;
    if (scp81 !== undefined) say(`TSM SCP81 admin server: TLS-PSK on ${scp81.host}:${scp81.port}${scp81.adminUri}${smsc === undefined ? '' : `; SMSC simulator (SMPP) on 127.0.0.1:${smsc.smsc.port}, the TSM bound to it`}`);
    const client = async (tenant: string, role: string) => (await addApiClient(db, parties.hsm, { tenant, role })).token;
    const mno = new TsmClient({ baseUrl, token: await client(DEMO_TENANTS.mno, 'mno') });
    const sp = new TsmClient({ baseUrl, token: await client(DEMO_TENANTS.bank, 'sp') });
    const issuerToken = await client(DEMO_TENANTS.bank, 'issuer');
    const authorizer = new HttpAuthorizer({ baseUrl, token: issuerToken });
    const issuerApi = new TsmClient({ baseUrl, token: issuerToken });
    const wallet = SigningIdentity.create({ packageName: DEMO_WALLET_PACKAGE });
    const cards = new CardAdminAgents();
    const fleet = scp81 === undefined
      ? manufactureFleet(options.phones, parties.manufacturerKek)
      : manufactureFleet(options.phones, parties.manufacturerKek, { kind: 'uicc', adminDefaults: scp81, onAdminSessionRequest: cards.onRequest });
    say(fleetLine(bearer, fleet.phones.length));
    let lastTenth = -1;
    const phones = await registerFleet(mno, fleet, DEMO_KEYS.factoryKbpk, (done) => {
      const tenth = Math.floor((done * 10) / fleet.phones.length);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        say(`MNO: SEs registered${bearer === 'relay' ? '' : ' with their OTA keys, PSK and MSISDN'}, subscriptions${bearer === 'relay' ? ' and relay tokens' : ''}: ${done}/${fleet.phones.length}`);
      }
    });
    const agents = await phoneAgents(bearer, tsm, baseUrl, phones, cards, scp81, options.pollMs ?? OTA_TIMING.pollMs, say);
    closers.push(() => agents.stop());
    if (smsc !== undefined) {
      for (const p of fleet.phones) smsc.smsc.registerHandset(fleetMsisdn(p.index), virtualHandset(p.se));
      say(`network: ${fleet.phones.length} handsets on the SMSC simulator; each card starts the admin session a secured trigger SMS asks for`);
    }
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
    const ota: DemoOta | undefined = bearer === 'relay' ? undefined : {
      cards, ...(smsc === undefined ? {} : { smsc: smsc.smsc }),
      stats: () => ({ triggers: triggers.sent, porOk: triggers.porOk, agents: { ...cards.stats }, ...(smsc === undefined ? {} : { smsc: { ...smsc.smsc.stats } }) }),
    };
    return { parties, tsm, baseUrl, mno, sp, authorizer, issuerApi, wallet, fleet, phones, agents, serviceIds, bearer, ...optional('ota', ota), close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** `{ [key]: value }`, or nothing when value is undefined (exactOptionalPropertyTypes). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * The phones' side of the bearer: `relay`, the wallet agents connected to the relay; `sms`, none
 * to start (each card's agent runs the session its trigger asks for); `scp81`, every card polling
 * its admin server. Either way `stop()` ends them.
 */
async function phoneAgents(
  bearer: DemoBearer, tsm: TsmService, baseUrl: string, phones: readonly RegisteredPhone[], cards: CardAdminAgents,
  server: { readonly host: string; readonly port: number; readonly adminUri: string } | undefined, pollMs: number, say: (line: string) => void,
): Promise<FleetAgents> {
  if (bearer === 'relay' || server === undefined) {
    const agents = await connectAgents(baseUrl, phones);
    say(`phones: ${agents.agents.length} wallet agents connected to the relay`);
    return agents;
  }
  if (bearer === 'scp81') {
    if (phones[0] !== undefined) await probeOwnInitiative(tsm, phones[0].phone, server);
    cards.poll(phones.map((p) => p.phone), server, { pollMs });
    say(`phones: ${phones.length} cards open SCP81 admin sessions on their own initiative, each about every ${pollMs} ms (no SMS); the TSM takes a card's session only while a job wants the card, and ends it with a 204 when the work is done`);
  }
  return { agents: [], stop: () => cards.stop() };
}

/**
 * `scp81`: checks once, before the fleet polls, that the TSM takes an admin session a card opens on
 * its own: what a job does (the router routes the SE and asks the SCP81 bearer for it), then one
 * session from the card, which ends with the server's 204. The server must hold the card's PSK
 * by then; one that loads a PSK only to send a trigger SMS refuses every such session — a clear
 * error here rather than deploys that wait for a session that never opens.
 */
async function probeOwnInitiative(tsm: TsmService, phone: FleetPhone, server: { readonly host: string; readonly port: number; readonly adminUri: string }): Promise<void> {
  tsm.ota?.router.connect(phone.seId);
  const request: AdminSessionRequest = { kind: 'admin-session-request', sdAid: fromHex(phone.isdAid), ...server, agentId: phone.ota?.scp81?.identity ?? phone.seId };
  const end = Date.now() + 5_000;
  for (;;) {
    try {
      await phone.se.startAdminSession(request, { retry: { attempts: 1, delayMs: 1 }, timeoutMs: 5_000 });
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_OTA_TLS' || Date.now() > end) {
        throw new Error('--bearer scp81: the TSM refuses the admin sessions a card opens on its own (TLS-PSK handshake refused while a job wants the card): '
          + 'its SCP81 server holds a card\'s PSK only to send a trigger SMS, and this mode has no SMSC', { cause: e });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
