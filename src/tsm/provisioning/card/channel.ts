/**
 * Opening a Security Domain's SCP03 channel with host keys held by the HSM (GPC Amd D v1.1.1 §7.1):
 * SELECT the SD on the basic channel, INITIALIZE UPDATE / EXTERNAL AUTHENTICATE at C-MAC, C-DECRYPTION,
 * R-MAC and R-ENCRYPTION (level '33'). The ISD is opened by the MNO tenant with the SE's registered
 * keys; an SSD by the SP tenant with its per-SE keys. The static keys never leave the HSM; the one
 * value the TSM keeps from the handshake is the card's key diversification data (public, the first
 * 10 bytes of the INITIALIZE UPDATE response), which the SSD takeover needs.
 */
import { encodeCommand, parseResponse, SW, type ApduTransport } from '../../../apdu/index.ts';
import {
  buildSelect,
  openScp03,
  type Scp03ChallengeContext,
  type Scp03HostKeys,
  type Scp03SessionContext,
  type Scp03SessionKeys,
  type ScpKeyContext,
  type SecureChannelSession,
} from '../../../gp/index.ts';
import type { Hsm, OperationContext } from '../../../hsm/index.ts';
import { TsmError } from '../../errors.ts';
import type { SecureElementRecord } from '../../model.ts';
import { aidArg, cardRefused, kvnArg } from './commands.ts';

/** The security level every deploy uses: C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION (GPC Amd D v1.1.1 Table 5-1). */
export const DEPLOY_SECURITY_LEVEL = 0x33;

/** A Security Domain key set as HSM key ids (GP-ENC, GP-MAC, GP-DEK). */
export interface SdKeyIds {
  readonly enc: string;
  readonly mac: string;
  readonly dek: string;
}

/** The key set each session of this module was opened with (ids only), so later steps find its DEK. */
const SESSION_KEYS = new WeakMap<SecureChannelSession, SdKeyIds>();

/**
 * The DEK key id of the session's Security Domain: `explicit` when given, else the one the session
 * was opened with by {@link openIsd} / {@link openSsd}; `ERR_TSM_REQUEST` when neither is known.
 */
export function sessionDek(session: SecureChannelSession, explicit?: string): string {
  const dek = explicit ?? SESSION_KEYS.get(session)?.dek;
  if (dek === undefined) throw new TsmError('ERR_TSM_REQUEST', 'dek: the session was not opened by openIsd/openSsd; give the DEK key id');
  return dek;
}

/** An open SCP03 session and the key diversification data the card sent in INITIALIZE UPDATE. */
export interface OpenedSd {
  readonly session: SecureChannelSession;
  readonly kdd: Uint8Array;
}

/**
 * Host keys that remember the key diversification data of the handshake they served. The keyed
 * operations stay the HSM's; only the public context passes through here.
 */
class KddRecorder implements Scp03HostKeys {
  readonly scp = 3 as const;
  readonly #inner: Scp03HostKeys;
  kdd: Uint8Array | undefined;

  constructor(inner: Scp03HostKeys) {
    this.#inner = inner;
  }

  get keyVersion(): number {
    return this.#inner.keyVersion;
  }

  get keyLength(): 16 | 24 | 32 {
    return this.#inner.keyLength;
  }

  deriveSession(context: Scp03SessionContext): Promise<Scp03SessionKeys> {
    this.kdd = context.kdd.slice();
    return this.#inner.deriveSession(context);
  }

  cardChallenge(context: Scp03ChallengeContext): Promise<Uint8Array> {
    return this.#inner.cardChallenge(context);
  }

  encryptSensitive(data: Uint8Array, context: ScpKeyContext): Promise<Uint8Array> {
    return this.#inner.encryptSensitive(data, context);
  }

  toString(): string {
    return this.#inner.toString();
  }
}

/** SELECT `sdAid` on the basic channel (GPC 2.3.1 §11.9); a refusal carries the status word. */
async function selectSd(transport: ApduTransport, sdAid: Uint8Array, what: string): Promise<void> {
  const response = parseResponse(await transport.transmit(encodeCommand(buildSelect(sdAid))));
  if (response.sw !== SW.OK) throw cardRefused(response.sw, `SELECT ${what}`);
}

/**
 * Opens SCP03 to the Security Domain `sdAid` with the stored key set `keys` of version `kvn`: one
 * `scp03HostKeys` call, then the handshake (the HSM derives the session keys and checks the card's
 * challenge: two audited calls on the software HSM).
 */
export async function openSdWithKeys(
  hsm: Hsm,
  ctx: OperationContext,
  transport: ApduTransport,
  target: { readonly sdAid: Uint8Array; readonly kvn: number; readonly keys: SdKeyIds; readonly what: string },
): Promise<OpenedSd> {
  const hostKeys = new KddRecorder(await hsm.scp03HostKeys(target.keys, target.kvn, ctx));
  await selectSd(transport, target.sdAid, target.what);
  const session = await openScp03(transport, hostKeys, { securityLevel: DEPLOY_SECURITY_LEVEL, sdAid: target.sdAid });
  if (hostKeys.kdd === undefined) throw new TsmError('ERR_TSM_STATE', `${target.what}: the handshake gave no key diversification data`);
  SESSION_KEYS.set(session, target.keys);
  return { session, kdd: hostKeys.kdd };
}

/**
 * Opens the SE's Issuer Security Domain (SEI role; `ctx` is the MNO tenant that owns the ISD keys):
 * SELECT the ISD and SCP03 at level '33' (GPC Amd D v1.1.1 §7.1).
 * @example const isd = await openIsd(hsm, mnoCtx, transport, se)
 */
export async function openIsd(hsm: Hsm, ctx: OperationContext, transport: ApduTransport, se: SecureElementRecord): Promise<SecureChannelSession> {
  if (se.isd.scp !== 3) throw new TsmError('ERR_TSM_STATE', `SE ${se.seId}: its ISD runs SCP0${se.isd.scp}; card operations run SCP03 only`);
  if (se.mno !== ctx.tenant) throw new TsmError('ERR_TSM_NOT_FOUND', `SE ${se.seId} is not registered by this tenant`);
  const opened = await openSdWithKeys(hsm, ctx, transport, { sdAid: aidArg(se.isd.aid, 'se.isd.aid'), kvn: kvnArg(se.isd.kvn, 'se.isd.kvn'), keys: se.isd.keys, what: 'the ISD' });
  return opened.session;
}

/**
 * Opens the SP's Supplementary Security Domain with its per-SE keys (SP-TSM role; `ctx` is the SP
 * tenant): SELECT the SSD and SCP03 at level '33'.
 * @example const ssd = await openSsd(hsm, spCtx, transport, { ssdAid, kvn: 0x30, keys })
 */
export async function openSsd(
  hsm: Hsm,
  ctx: OperationContext,
  transport: ApduTransport,
  target: { readonly ssdAid: Uint8Array | string; readonly kvn: number; readonly keys: SdKeyIds },
): Promise<SecureChannelSession> {
  const sdAid = aidArg(target.ssdAid, 'ssdAid');
  const opened = await openSdWithKeys(hsm, ctx, transport, { sdAid, kvn: kvnArg(target.kvn, 'kvn'), keys: target.keys, what: 'the SSD' });
  return opened.session;
}
