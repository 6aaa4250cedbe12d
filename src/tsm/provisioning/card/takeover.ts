/**
 * SP side of the SSD handover (ARCHITECTURE.md §4 step 3): the SP tenant imports the initial keys
 * from their TR-31 blocks, opens the SSD's own SCP03 channel with them, replaces them with its
 * per-SE keys (diversified in the HSM from its SSD masters with the SSD's key diversification data)
 * by PUT KEY, marks the SSD PERSONALIZED, and destroys the imported initial keys. Afterwards nothing
 * the MNO tenant holds opens the SSD: the card refuses its initial keys (the key set is gone).
 */
import { randomBytes } from 'node:crypto';
import { encodeCommand, parseResponse, SW, type ApduTransport } from '../../../apdu/index.ts';
import {
  SECURITY_DOMAIN_LIFECYCLE,
  buildPutKey,
  buildSelect,
  buildSetStatus,
  checkPutKeyResponse,
  initializeUpdateCommand,
  parseInitializeUpdateResponse,
  wrappedKeyEntry,
  type DiversificationMethod,
  type SecureChannelSession,
} from '../../../gp/index.ts';
import type { Hsm, KeyHandle, OperationContext } from '../../../hsm/index.ts';
import { TsmError } from '../../errors.ts';
import { openSdWithKeys, type SdKeyIds } from './channel.ts';
import { aidArg, aidHex, cardRefused, kvnArg, sendOk } from './commands.ts';
import { findHandoverKbpk } from './handover-kbpk.ts';
import { isPersonalizedSd, readApplication, readSdKeyVersions } from './registry.ts';
import type { HandoverBlocks } from './ssd.ts';

/** What {@link takeOverSsd} needs. */
export interface TakeOverRequest {
  readonly ssdAid: Uint8Array | string;
  /** The initial key set's KVN and blocks, as createSsd returned them. */
  readonly initialKvn: number;
  readonly blocks: HandoverBlocks;
  /** The SP's SSD master keys (B3, SP tenant): ServiceRecord.ssdMasters. */
  readonly masters: SdKeyIds;
  /** The KVN of the SP's key set (ServiceFlavour.ssd.kvn); must differ from `initialKvn`. */
  readonly finalKvn: number;
  /** The MNO tenant that made the blocks: the KBPK is `handover:<mnoTenant>` of the SP tenant. */
  readonly mnoTenant: string;
  /** The KBPK's key id, when known (saves one HSM lookup). */
  readonly kbpk?: string;
  /** Diversification of the masters (default 'kdf3', GPC Amd D v1.1.1 style; CPG 2.04 for 'emv'). */
  readonly method?: DiversificationMethod;
  /** The SP's per-SE keys when an earlier attempt already made them (a resumed job): not diversified again. */
  readonly keys?: SdKeyIds;
}

/** The SP's per-SE SSD keys, their KVN, and an open SSD session with them (close it when done). */
export interface TakenOverSsd {
  readonly keys: SdKeyIds;
  readonly kvn: number;
  readonly session: SecureChannelSession;
}

/** The SSD's key diversification data from an INITIALIZE UPDATE with KVN `kvn` that is not followed up (Amd D v1.1.1 §7.1.1). */
async function probeKdd(transport: ApduTransport, ssdAid: Uint8Array, kvn: number): Promise<Uint8Array> {
  const select = parseResponse(await transport.transmit(encodeCommand(buildSelect(ssdAid))));
  if (select.sw !== SW.OK) throw cardRefused(select.sw, 'SELECT the SSD');
  const response = parseResponse(await transport.transmit(encodeCommand(initializeUpdateCommand(kvn, new Uint8Array(randomBytes(8))))));
  if (response.sw !== SW.OK) throw cardRefused(response.sw, 'INITIALIZE UPDATE of the SSD');
  return parseInitializeUpdateResponse(response.data).kdd;
}

async function importInitialKeys(hsm: Hsm, ctx: OperationContext, kbpk: string, blocks: HandoverBlocks): Promise<KeyHandle[]> {
  const out: KeyHandle[] = [];
  try {
    for (const [role, block] of [['GP-ENC', blocks.enc], ['GP-MAC', blocks.mac], ['GP-DEK', blocks.dek]] as const) {
      if (typeof block !== 'string' || block.length === 0) throw new TsmError('ERR_TSM_REQUEST', `blocks.${role.slice(3).toLowerCase()}: a TR-31 key block is required`);
      // class: an HSM whose importKeyBlock takes a key class keeps these as transient keys (destroyed below);
      // one that does not keeps them as ordinary SP keys, useless once the card has dropped their key set
      const meta = { owner: ctx.tenant, label: role, class: 'transient' as const };
      out.push(await hsm.importKeyBlock(kbpk, block, meta, ctx));
    }
    return out;
  } catch (e) {
    await destroyAll(hsm, ctx, out);
    throw e;
  }
}

/** Destroys the imported initial keys its owner may destroy alone (class `transient`). */
async function destroyAll(hsm: Hsm, ctx: OperationContext, keys: readonly KeyHandle[]): Promise<void> {
  for (const key of keys) if (key.attributes.class === 'transient') await hsm.destroyKey(key.id, [], ctx);
}

/**
 * PUT KEY on the SSD's channel opened with the initial keys: the SP's key set replaces the initial
 * one (GPC 2.3.1 §11.8, P1 = initial KVN, keys 1–3 under the initial DEK); returns the SP's keys.
 */
async function replaceInitialKeys(hsm: Hsm, ctx: OperationContext, transport: ApduTransport, ssdAid: Uint8Array, request: TakeOverRequest, finalKvn: number): Promise<SdKeyIds> {
  const kbpk = request.kbpk ?? (await findHandoverKbpk(hsm, ctx, request.mnoTenant));
  const initial = await importInitialKeys(hsm, ctx, kbpk, request.blocks);
  try {
    const ids = { enc: initial[0]!.id, mac: initial[1]!.id, dek: initial[2]!.id };
    const { session, kdd } = await openSdWithKeys(hsm, ctx, transport, { sdAid: ssdAid, kvn: request.initialKvn, keys: ids, what: 'the SSD (initial keys)' });
    try {
      const keys = request.keys ?? (await diversify(hsm, ctx, request, kdd));
      const entries = [];
      for (const id of [keys.enc, keys.mac, keys.dek]) entries.push(wrappedKeyEntry(await hsm.wrapKeyForCard(id, ids.dek, { scp: 3 }, ctx)));
      const put = { replaceKvn: request.initialKvn, newKvn: finalKvn, firstKeyId: 1, keys: entries };
      checkPutKeyResponse((await sendOk(session, buildPutKey(put), 'PUT KEY of the SP keys')).data, put);
      return keys;
    } finally {
      session.close();
    }
  } finally {
    await destroyAll(hsm, ctx, initial);
  }
}

async function diversify(hsm: Hsm, ctx: OperationContext, request: TakeOverRequest, kdd: Uint8Array): Promise<SdKeyIds> {
  const made = await hsm.diversifyGpKeys(request.masters, kdd, request.method ?? 'kdf3', { owner: ctx.tenant }, ctx);
  return { enc: made.enc.id, mac: made.mac.id, dek: made.dek.id };
}

/**
 * Takes the SSD over from its initial keys (SP-TSM role, `spCtx` the SP tenant):
 * 1. GET DATA key information of the SSD (no secure channel): which key set is there;
 * 2. initial set present: import the three blocks (transient) under `handover:<mnoTenant>`, open
 *    SCP03 with them, diversify the SP's per-SE keys from `masters` with the card's KDD, PUT KEY
 *    replacing the initial set (GPC 2.3.1 §11.8), destroy the imported keys;
 *    only the final set present (an earlier attempt stopped after PUT KEY): diversify again from the
 *    KDD of an INITIALIZE UPDATE (or use `keys`);
 * 3. open SCP03 with the SP's keys and SET STATUS the SSD PERSONALIZED (§11.10.2.2, §5.3.2.3) if it
 *    is not yet — from then on it manages content (§9.3.5).
 * Running it again once done re-derives the keys and returns a session: safe. HSM calls on the
 * first run: 1 KBPK lookup, 3 imports, 3 for each channel opened (2), 1 diversification, 3 wraps, 3 destroys.
 * @example const { keys, kvn, session } = await takeOverSsd(hsm, spCtx, transport, { ssdAid, ...handover, masters, finalKvn: 0x30, mnoTenant })
 */
export async function takeOverSsd(hsm: Hsm, spCtx: OperationContext, transport: ApduTransport, request: TakeOverRequest): Promise<TakenOverSsd> {
  const ssdAid = aidArg(request.ssdAid, 'ssdAid');
  const initialKvn = kvnArg(request.initialKvn, 'initialKvn');
  const finalKvn = kvnArg(request.finalKvn, 'finalKvn');
  if (initialKvn === finalKvn) throw new TsmError('ERR_TSM_REQUEST', 'finalKvn: must differ from the initial KVN, so key versions tell the two sets apart');
  const versions = await readSdKeyVersions(transport, ssdAid);
  if (versions === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', `SSD ${aidHex(ssdAid)} is not on the card`);
  let keys: SdKeyIds;
  if (versions.includes(initialKvn)) {
    keys = await replaceInitialKeys(hsm, spCtx, transport, ssdAid, request, finalKvn);
  } else if (versions.includes(finalKvn)) {
    keys = request.keys ?? (await diversify(hsm, spCtx, request, await probeKdd(transport, ssdAid, finalKvn)));
  } else {
    throw new TsmError('ERR_TSM_STATE', `SSD ${aidHex(ssdAid)} holds neither the initial nor the SP key set (KVNs ${versions.map((v) => v.toString(16)).join(', ') || 'none'})`);
  }
  const { session } = await openSdWithKeys(hsm, spCtx, transport, { sdAid: ssdAid, kvn: finalKvn, keys, what: 'the SSD' });
  try {
    const entry = await readApplication(session, ssdAid);
    if (entry === undefined || !isPersonalizedSd(entry)) {
      await sendOk(session, buildSetStatus({ scope: 'application', aid: ssdAid, state: SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED }), 'SET STATUS PERSONALIZED of the SSD');
    }
  } catch (e) {
    session.close();
    throw e;
  }
  return Object.freeze({ keys: Object.freeze({ ...keys }), kvn: finalKvn, session });
}
