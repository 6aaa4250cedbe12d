/**
 * The service's over-the-air bearers (issue 7; docs/service.md "OTA bearers", docs/scp81.md,
 * docs/sms-bearer.md): the SCP81 admin server (TLS-PSK, its own port, loopback by default), the SMS
 * bearer to an operator's SMSC with the SCP81 trigger over it, and the {@link BearerRouter} that gives
 * the job engine one CardBearer: each SE on the relay or on SCP81 by its platform profile.
 *
 * Everything per SE comes from the MNO registry: the route (platform + SCP81 PSK registered), the
 * PSK identity and key id (kept in a cache the synchronous Scp81Bearer `resolve` reads), and for the
 * trigger the MSISDN (unsealed when needed, never logged), the first SCP80 key set's HSM keys and
 * bytes. Keys are used as the SE's MNO (the tenant that owns them), so one service serves many MNOs.
 */
import type { Logger } from 'pino';
import type { Hsm, OperationContext } from '../hsm/index.ts';
import type { StoreDb } from '../store/index.ts';
import { BearerRouter, bearerOf, checkBearerPolicy, DEFAULT_BEARER_POLICY, type BearerName, type BearerPolicy } from './bearer-router.ts';
import { TsmError } from './errors.ts';
import type { CardBearer, SecureElementRecord } from './model.ts';
import { hsmOtaHostKeys, Scp81Bearer, SmppBearer, SmsScp81Trigger, type Scp81BearerOptions, type Scp81Registration, type Scp81Trigger, type SmppBearerOptions, type SmsScp81Target, type SmsTriggerSent } from './ota/index.ts';
import { RecordProtection } from './protection/index.ts';
import { findSecureElement, openSeMsisdn } from './registry/index.ts';

/** `TsmServiceOptions.ota`: which OTA bearers the service runs. Given (even `{}`), the SCP81 admin server starts. */
export interface TsmOtaOptions {
  /**
   * The SCP81 admin server (GPC Amd B over TLS-PSK): the Scp81Bearer's own options — `host`
   * (default 127.0.0.1), `port` (default 0: a free one; see `TsmService.ota.scp81.address`),
   * `adminPath`, `idleMs`, `triggerIntervalMs`, … — except what the service supplies itself (HSM,
   * trigger, registry resolver, error sink), and the address the trigger SMS names.
   */
  readonly scp81?: Omit<Scp81BearerOptions, ServiceSupplied> & {
    /** The host the trigger SMS names, when cards reach the server through another name (NAT, proxy). Default: the listen address. */
    readonly publicHost?: string;
    /** The port the trigger SMS names (default: the listen port). */
    readonly publicPort?: number;
  };
  /**
   * The SMS bearer to the operator's SMSC (SMPP 3.4). Without it no SMS is sent: cards' agents come by
   * themselves (GPC Amd B polling), and the SCP81 bearer's "trigger" only loads the PSK of an SE a job
   * waits for (for `pskTtlMs`), so that SE's next poll is accepted at the handshake.
   */
  readonly smpp?: Pick<SmppBearerOptions, 'host' | 'port' | 'systemId' | 'password' | 'sourceAddress' | 'responseTimeoutMs' | 'enquireLinkMs' | 'reconnect'>;
  /** How long a trigger waits for the card's PoR (default 30 000 ms). */
  readonly porTimeoutMs?: number;
  /** Platform profile id → bearer (default {@link DEFAULT_BEARER_POLICY}: the UICC profiles over SCP81). */
  readonly bearerFor?: BearerPolicy;
  /** Told each trigger sent (no key, no MSISDN): tests, the demo, metrics. */
  readonly onTriggerSent?: (event: SmsTriggerSent) => void;
}

/** What the running OTA side exposes. */
export interface OtaBearerParts {
  readonly router: BearerRouter;
  readonly scp81: Scp81Bearer;
  readonly sms?: SmppBearer;
  readonly trigger?: SmsScp81Trigger;
}

/** What the service gives the Scp81Bearer itself. */
type ServiceSupplied = 'hsm' | 'ctx' | 'trigger' | 'resolve' | 'onError' | 'pskStore' | 'now';

interface Scp81Entry extends Scp81Registration {
  readonly mno: string;
}

const ACTOR = 'ota';

/**
 * The trigger when there is no SMSC: nothing is sent. The Scp81Bearer loads an SE's PSK just before
 * it triggers (at most once per `triggerIntervalMs`), so this makes the PSK of an SE a job waits for
 * available to the agent's own next poll; the PSK is wiped when the session ends or its TTL passes.
 */
const PSK_ONLY: Scp81Trigger = { trigger: () => undefined };

/** The OTA bearers of one service: build with `OtaBearers.start`, close with `close`. */
export class OtaBearers implements OtaBearerParts {
  readonly router: BearerRouter;
  readonly scp81: Scp81Bearer;
  readonly sms: SmppBearer | undefined;
  readonly trigger: SmsScp81Trigger | undefined;

  private constructor(parts: { router: BearerRouter; scp81: Scp81Bearer; sms: SmppBearer | undefined; trigger: SmsScp81Trigger | undefined }) {
    this.router = parts.router;
    this.scp81 = parts.scp81;
    this.sms = parts.sms;
    this.trigger = parts.trigger;
  }

  /** Starts the SCP81 server, binds to the SMSC (when configured; a refused bind fails the start) and builds the router over `relay`. */
  static async start(deps: { readonly db: StoreDb; readonly hsm: Hsm; readonly relay: CardBearer; readonly options: TsmOtaOptions; readonly logger?: Logger }): Promise<OtaBearers> {
    const { db, hsm, options, logger } = deps;
    const policy = options.bearerFor === undefined ? DEFAULT_BEARER_POLICY : checkBearerPolicy(options.bearerFor, 'ota.bearerFor');
    const scp81Entries = new Map<string, Scp81Entry>();
    const keyOwners = new Map<string, string>();
    const protection = new RecordProtection(hsm);
    const report = (what: string) => (e: Error, seId: string | undefined) => {
      const code = (e as { code?: string }).code;
      // polling cards (no SMSC) are refused at the handshake whenever no job wants them: expected, not a warning
      const expected = options.smpp === undefined && code === 'ERR_OTA_TLS';
      logger?.[expected ? 'debug' : 'warn']({ err: e.message, code, seId }, what);
    };
    const { publicHost, publicPort, ...o81 } = options.scp81 ?? {};
    let sms: SmppBearer | undefined;
    let trigger: SmsScp81Trigger | undefined;
    if (options.smpp !== undefined) {
      const s = options.smpp;
      sms = new SmppBearer({ host: s.host, port: s.port, systemId: s.systemId, password: s.password, sourceAddress: s.sourceAddress,
        ...(s.responseTimeoutMs === undefined ? {} : { responseTimeoutMs: s.responseTimeoutMs }), ...(s.enquireLinkMs === undefined ? {} : { enquireLinkMs: s.enquireLinkMs }),
        ...(s.reconnect === undefined ? {} : { reconnect: s.reconnect }) });
      trigger = new SmsScp81Trigger({
        db, sms, resolve: (seId) => smsTarget(hsm, protection, seId, db),
        ...(options.porTimeoutMs === undefined ? {} : { porTimeoutMs: options.porTimeoutMs }),
        ...(options.onTriggerSent === undefined ? {} : { onSent: options.onTriggerSent }),
      });
    }
    // The PSK is read as the MNO that owns it (the tenant of the SE whose entry named it).
    const pskReader: Pick<Hsm, 'revealProtocolKey'> = {
      revealProtocolKey: (id, ctx: OperationContext) => hsm.revealProtocolKey(id, { tenant: keyOwners.get(id) ?? ctx.tenant, actor: ctx.actor }),
    };
    let scp81: Scp81Bearer | undefined;
    try {
      if (sms !== undefined) await sms.connect();
      scp81 = await Scp81Bearer.start({
        hsm: pskReader, ctx: { tenant: 'operator', actor: 'scp81' },
        resolve: (seId) => scp81Entries.get(seId),
        trigger: trigger ?? PSK_ONLY,
        ...withoutSupplied(o81),
        onError: report('scp81 bearer'),
      });
    } catch (e) {
      await sms?.close();
      throw e;
    }
    const bearer = scp81;
    trigger?.attach({
      get address() {
        const a = bearer.address;
        return { host: publicHost ?? a.host, port: publicPort ?? a.port, adminUri: a.adminUri };
      },
    });
    const route = async (seId: string): Promise<BearerName> => {
      const se = await findSecureElement(db, seId);
      const name = bearerOf(se, policy, true);
      if (name === 'scp81' && se?.ota?.scp81 !== undefined) {
        scp81Entries.set(seId, { identity: se.ota.scp81.identity, keyId: se.ota.scp81.psk, mno: se.mno });
        keyOwners.set(se.ota.scp81.psk, se.mno);
      }
      return name;
    };
    const router = new BearerRouter({ bearers: { relay: deps.relay, scp81 }, route, onError: report('bearer router') });
    return new OtaBearers({ router, scp81, sms, trigger });
  }

  /** Stops the router, the SCP81 server (sessions end, PSKs wiped) and the SMS bearer. */
  async close(): Promise<void> {
    this.router.close();
    await this.scp81.close();
    await this.sms?.close();
  }
}

/** The given options without undefined values and without anything the service supplies (a caller's cast cannot slip one in). */
function withoutSupplied<T extends object>(o: T): T {
  const supplied: readonly string[] = ['hsm', 'ctx', 'trigger', 'resolve', 'onError', 'pskStore', 'now'] satisfies readonly ServiceSupplied[];
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && !supplied.includes(k))) as T;
}

/** The SMS side of `seId` from the registry: MSISDN (unsealed), the first SCP80 key set in the HSM, its bytes. */
async function smsTarget(hsm: Hsm, protection: RecordProtection, seId: string, db: StoreDb): Promise<SmsScp81Target | undefined> {
  const se: SecureElementRecord | undefined = await findSecureElement(db, seId);
  const set = se?.ota?.scp80?.[0];
  if (se === undefined || set === undefined) return undefined;
  const msisdn = await openSeMsisdn(hsm, se, ACTOR, protection);
  if (msisdn === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', `SMS trigger: SE ${seId} has no MSISDN registered`);
  return {
    msisdn, hostKeys: hsmOtaHostKeys(hsm, { tenant: se.mno, actor: ACTOR }, { kic: set.kic, kid: set.kid }),
    kic: Number.parseInt(set.kicByte, 16), kid: Number.parseInt(set.kidByte, 16),
  };
}
