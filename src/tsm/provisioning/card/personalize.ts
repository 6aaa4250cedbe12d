/**
 * Personalizing a payment instance through its SP's SSD (ARCHITECTURE.md §4 step 4; EMV CPS;
 * docs/payment-application.md §4): the HSM prepares the DGIs with every secret under the SSD's DEK,
 * INSTALL [for personalization] opens the session (GPC 2.3.1 §11.5.2.3.6), STORE DATA carries the
 * DGIs (§11.11). Whether it completed is the application's own answer (GET DATA 'DF70', §4.3), read
 * on a logical channel beside the SD's session. The PPSE entry goes through the ISD (it owns the PPSE).
 */
import { SW, commandApdu, type ApduTransport, type CommandApdu } from '../../../apdu/index.ts';
import { PAYMENT_PERSONALIZED_STATE, PERSO_STATUS_TAG } from '../../../emv/index.ts';
import { findAllTlv, parseTlv } from '../../../tlv/index.ts';
import { buildInstall, buildStoreData, getDataValue, GpError, LOCKED_BIT, type SecureChannelSession } from '../../../gp/index.ts';
import type { Hsm, OperationContext } from '../../../hsm/index.ts';
import { TsmError } from '../../errors.ts';
import type { IssuerPersonalizationKeys, PaymentCardRecord } from '../../personalization/card-record.ts';
import { preparePersonalization } from '../../personalization/prepare.ts';
import { ppseEntryDgi } from '../../personalization/records.ts';
import { sessionDek } from './channel.ts';
import { PPSE_AID, aidArg, aidHex, cardRefused, sendAllOk, sendOk } from './commands.ts';
import { proprietaryCla, withSelectedApplication } from './logical-channel.ts';
import { isLockedEntry, readApplication } from './registry.ts';

/** STORE DATA block size: plain bytes per command, leaving room for SCP03 padding and the C-MAC. */
const STORE_DATA_BLOCK = 200;

/** What {@link personalizePayment} needs. */
export interface PaymentPersonalization {
  readonly aid: Uint8Array | string;
  readonly card: PaymentCardRecord;
  readonly issuer: IssuerPersonalizationKeys;
  /** The SSD's DEK key id (the SP's per-SE GP-DEK); default: the one the session was opened with. */
  readonly dek?: string;
}

/**
 * The personalization commands of one card (INSTALL [for personalization] then the STORE DATA
 * blocks), prepared by the HSM: 5 HSM calls (3 ICC master keys, a random serial, the ICC key pair),
 * 6 with an offline PIN. Separate from sending, so a job can prepare once and a test can stop halfway.
 */
export async function preparePaymentCommands(hsm: Hsm, spCtx: OperationContext, ssd: SecureChannelSession, request: PaymentPersonalization): Promise<readonly CommandApdu[]> {
  const aid = aidArg(request.aid, 'aid');
  const dek = sessionDek(ssd, request.dek);
  const prepared = await preparePersonalization(hsm, spCtx, request.card, request.issuer, { dek, scp: 3 });
  const blocks = buildStoreData(prepared.stream, { format: 'dgi', encryption: 'application' }, STORE_DATA_BLOCK);
  return Object.freeze([buildInstall({ kind: 'personalization', applicationAid: aid }), ...blocks]);
}

/**
 * Personalizes the payment instance `aid` through the SSD session (EMV CPS; GPC 2.3.1 §7.3.2): the
 * HSM-prepared DGIs in STORE DATA, the last block completing it (docs/payment-application.md §4.2).
 * A personalized application refuses more STORE DATA (6985, an `ERR_GP_STATUS`): check
 * {@link isPersonalized} first. A half-personalized one takes the whole sequence again (a DGI sent
 * again replaces the earlier value) — the job's policy may prefer to delete and reinstall it.
 */
export async function personalizePayment(hsm: Hsm, spCtx: OperationContext, ssd: SecureChannelSession, request: PaymentPersonalization): Promise<void> {
  await sendAllOk(ssd, await preparePaymentCommands(hsm, spCtx, ssd, request), 'personalization (INSTALL [for personalization], STORE DATA)');
}

/** The personalization state of an instance, as the card tells it. */
export interface PersonalizationStatus {
  /** In the registry of the session's SD hierarchy. */
  readonly present: boolean;
  readonly locked: boolean;
  /** The application's own answer (GET DATA 'DF70' = 01); false when absent; undefined when it cannot be asked (LOCKED). */
  readonly personalized: boolean | undefined;
  /** DGIs the application still requires (from 'DF70' = 00 ‖ DGI numbers). */
  readonly missingDgis: readonly number[];
}

/**
 * Reads whether instance `aid` is personalized. GET STATUS through `session` first (present, LOCKED,
 * and the life cycle `0F` the payment application takes when personalized, docs/payment-application.md
 * §4.2); an instance still in SELECTABLE is asked on a logical channel of `transport` (SELECT, GET
 * DATA 'DF70', §4.3) for the DGIs it misses — and in case it was personalized by an application that
 * did not record the state. A bearer without logical channels (SCP81: 6881) leaves the life cycle's
 * answer. A LOCKED instance that is not `8F` cannot be selected (GPC 2.3.1 §5.3.1.3): `personalized`
 * is undefined.
 */
export async function personalizationStatus(session: SecureChannelSession, transport: ApduTransport, aid: Uint8Array | string): Promise<PersonalizationStatus> {
  const target = aidArg(aid, 'aid');
  const entry = await readApplication(session, target);
  if (entry === undefined) return { present: false, locked: false, personalized: false, missingDgis: [] };
  const locked = isLockedEntry(entry);
  if ((entry.lifecycle & ~LOCKED_BIT) === PAYMENT_PERSONALIZED_STATE) return { present: true, locked, personalized: true, missingDgis: [] };
  if (locked) return { present: true, locked: true, personalized: undefined, missingDgis: [] };
  try {
    return await withSelectedApplication(transport, target, async (app) => {
      if (app.select.sw !== SW.OK) throw cardRefused(app.select.sw, `SELECT ${aidHex(target)} on a logical channel`);
      const r = await app.send(commandApdu({ cla: proprietaryCla(app.channel), ins: 0xca, p1: PERSO_STATUS_TAG >> 8, p2: PERSO_STATUS_TAG & 0xff, ne: 256 }));
      if (r.sw !== SW.OK) throw cardRefused(r.sw, 'GET DATA DF70');
      const value = getDataValue(r.data, PERSO_STATUS_TAG);
      if (value.length === 1 && value[0] === 0x01) return { present: true, locked: false, personalized: true, missingDgis: [] };
      if (value[0] !== 0x00 || value.length % 2 !== 1) throw new TsmError('ERR_TSM_STATE', `instance ${aidHex(target)}: personalization status of ${value.length} bytes`);
      const missing: number[] = [];
      for (let i = 1; i < value.length; i += 2) missing.push((value[i]! << 8) | value[i + 1]!);
      return { present: true, locked: false, personalized: false, missingDgis: missing };
    });
  } catch (e) {
    // ISO/IEC 7816-4 §5.1.3 6881: logical channel not supported — the life cycle (SELECTABLE) is the answer
    if (e instanceof GpError && e.sw === SW.LOGICAL_CHANNEL_NOT_SUPPORTED) return { present: true, locked: false, personalized: false, missingDgis: [] };
    throw e;
  }
}

/**
 * Whether instance `aid` is present and fully personalized (see {@link personalizationStatus}); a
 * LOCKED instance that was not personalized (not 8F) cannot tell (ERR_TSM_STATE: unlock it first).
 */
export async function isPersonalized(session: SecureChannelSession, transport: ApduTransport, aid: Uint8Array | string): Promise<boolean> {
  const status = await personalizationStatus(session, transport, aid);
  if (status.personalized === undefined) throw new TsmError('ERR_TSM_STATE', `instance ${aidHex(aidArg(aid, 'aid'))} is LOCKED: its personalization cannot be read`);
  return status.personalized;
}

/**
 * Lists payment instance `aid` in the PPSE (EMV Book B §3.3; docs/payment-application.md §4.4)
 * through the ISD, which owns the PPSE: INSTALL [for personalization] then STORE DATA of DGI 9102.
 * Entries merge by AID, so sending it again is safe.
 */
export async function writePpseEntry(isd: SecureChannelSession, aid: Uint8Array | string, card: Pick<PaymentCardRecord, 'label' | 'priority'>, options: { readonly ppseAid?: Uint8Array } = {}): Promise<void> {
  const target = aidArg(aid, 'aid');
  await sendPpse(isd, ppseEntryDgi(target, card), options.ppseAid ?? PPSE_AID);
}

/** Removes `aid`'s PPSE entry (an entry holding only its '4F', docs/payment-application.md §4.4). */
export async function removePpseEntry(isd: SecureChannelSession, aid: Uint8Array | string, options: { readonly ppseAid?: Uint8Array } = {}): Promise<void> {
  const target = aidArg(aid, 'aid');
  // DGI 9102 { 61 { 4F aid } }
  const entry = Uint8Array.of(0x61, target.length + 2, 0x4f, target.length, ...target);
  await sendPpse(isd, Uint8Array.of(0x91, 0x02, entry.length, ...entry), options.ppseAid ?? PPSE_AID);
}

async function sendPpse(isd: SecureChannelSession, dgi: Uint8Array, ppseAid: Uint8Array): Promise<void> {
  await sendOk(isd, buildInstall({ kind: 'personalization', applicationAid: ppseAid }), 'INSTALL [for personalization] of the PPSE');
  await sendAllOk(isd, buildStoreData(dgi, { format: 'dgi' }, STORE_DATA_BLOCK), 'STORE DATA to the PPSE');
}

/**
 * The AIDs the PPSE lists (its FCI, EMV Book B §3.3: 6F{A5{BF0C{61{4F…}…}}}), read on a logical channel.
 */
export async function readPpseEntries(transport: ApduTransport, options: { readonly ppseAid?: Uint8Array } = {}): Promise<readonly Uint8Array[]> {
  return withSelectedApplication(transport, options.ppseAid ?? PPSE_AID, (app) => {
    if (app.select.sw !== SW.OK) throw cardRefused(app.select.sw, 'SELECT the PPSE');
    const fci = parseTlv(app.select.data);
    return Promise.resolve(findAllTlv(fci, 0x6f, 0xa5, 0xbf0c, 0x61, 0x4f).map((n) => n.value.slice()));
  });
}
