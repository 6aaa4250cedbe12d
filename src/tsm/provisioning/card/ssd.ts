/**
 * SEI side of a Supplementary Security Domain (ARCHITECTURE.md §4 step 3): the MNO tenant, through
 * the ISD, creates the SP's SSD with Authorized Management and gives it initial keys that exist for
 * the handover only — generated in the HSM as `transient` keys, each returned at birth as a TR-31
 * block under the handover KBPK the MNO and SP share, put on the card under the ISD's DEK, then
 * destroyed. The MNO tenant keeps nothing it could open the SSD with once the SP has replaced them.
 */
import {
  GP_KEY_ROLES,
  type GpKeyRole,
  type Hsm,
  type KeyHandle,
  type OperationContext,
} from '../../../hsm/index.ts';
import {
  buildDelete,
  buildInstall,
  buildPutKey,
  checkPutKeyResponse,
  encodeInstallParameters,
  encodePrivileges,
  wrappedKeyEntry,
  type RegistryEntry,
  type SecureChannelSession,
} from '../../../gp/index.ts';
import { TsmError } from '../../errors.ts';
import { sessionDek } from './channel.ts';
import { DEFAULT_INITIAL_KVN, SD_MODULE_AID, SD_PACKAGE_AID, aidArg, aidHex, kvnArg, sendOk } from './commands.ts';
import { findHandoverKbpk } from './handover-kbpk.ts';
import { isPersonalizedSd, readApplication } from './registry.ts';

/** Privileges of an SP's SSD: Security Domain, Trusted Path (STORE DATA forwarding, GPC 2.3.1 §6.7), Authorized Management (§9.1.3). */
export const SSD_PRIVILEGES: Uint8Array = encodePrivileges(['SecurityDomain', 'TrustedPath', 'AuthorizedManagement']);

/** The initial keys as TR-31 blocks under the handover KBPK, for the SP tenant (key ids 1, 2, 3 of `initialKvn`). */
export interface HandoverBlocks {
  readonly enc: string;
  readonly mac: string;
  readonly dek: string;
}

/** What {@link createSsd} hands to the SP side. */
export interface SsdHandover {
  readonly initialKvn: number;
  readonly blocks: HandoverBlocks;
}

/** Options of {@link createSsd}. */
export interface CreateSsdOptions {
  readonly ssdAid: Uint8Array | string;
  /** KVN of the initial key set (default '3F'); the SP's final KVN must differ, so key versions tell the two apart. */
  readonly kvn?: number;
  /** The Security Domain package and module (default: the GP SD package A0000001515350 / A000000151535041). */
  readonly sdPackage?: { readonly loadFileAid: Uint8Array | string; readonly moduleAid: Uint8Array | string };
  /** Privileges (1 or 3 bytes; default {@link SSD_PRIVILEGES}). */
  readonly privileges?: Uint8Array;
  /** AES key length of the initial keys (default 16): the SP's final keys must have the same (GPC 2.3.1 §11.8.2.3.3). */
  readonly keyLength?: 16 | 24 | 32;
  /** The ISD's DEK key id; default: the one the session was opened with (openIsd). */
  readonly isdDek?: string;
  /**
   * An SSD with this AID that the SP has not taken over yet (not PERSONALIZED, so it holds no
   * content, GPC 2.3.1 §9.3.5) is refused (`'refuse'`, default: ERR_TSM_STATE) or deleted and made
   * again (`'recreate'`: what a resumed job does once the handover blocks of a crashed attempt are lost).
   */
  readonly ifExists?: 'refuse' | 'recreate';
}

/** GP key roles in key identifier order (GPC Amd D v1.1.1 §7.2: ENC 1, MAC 2, DEK 3). */
const ROLES: readonly (readonly [GpKeyRole, keyof HandoverBlocks])[] = [['GP-ENC', 'enc'], ['GP-MAC', 'mac'], ['GP-DEK', 'dek']];

/**
 * Checks whether `ssdAid` may be created: absent → go; taken over (PERSONALIZED) → ERR_TSM_CONFLICT;
 * present but not taken over → refused, or deleted when `recreate` (GPC 2.3.1 §11.2).
 */
async function clearWay(isd: SecureChannelSession, ssdAid: Uint8Array, recreate: boolean): Promise<void> {
  const existing: RegistryEntry | undefined = await readApplication(isd, ssdAid);
  if (existing === undefined) return;
  if (isPersonalizedSd(existing)) throw new TsmError('ERR_TSM_CONFLICT', `SSD ${aidHex(ssdAid)} exists and its SP has taken it over`);
  if (!recreate) throw new TsmError('ERR_TSM_STATE', `SSD ${aidHex(ssdAid)} exists but was not taken over (lifecycle ${existing.lifecycle.toString(16).padStart(2, '0')}): recreate it`);
  await sendOk(isd, buildDelete({ kind: 'card-content', aid: ssdAid }), 'DELETE the unfinished SSD');
}

/**
 * Creates the SP's SSD under the ISD and gives it transient initial keys (ARCHITECTURE.md §4.3):
 * 1. INSTALL [for install and make selectable] from the SD module (GPC 2.3.1 §11.5.2.3.2), Authorized Management;
 * 2. INSTALL [for personalization] of the SSD (§11.5.2.3.6): the PUT KEY that follows lands in the
 *    SSD (cards with `put-key-via-parent`; the keys travel under the ISD's DEK);
 * 3. three keys generated for export under `handover:<spTenant>` (TR-31), class `transient`;
 * 4. PUT KEY of a new key set (§11.8, P1 '00'), its KCVs checked in the response (§11.8.3.1);
 * 5. the MNO copies destroyed, whatever happened (HSM calls: 1 KBPK lookup + 3 + 3 wraps + 3 destroys).
 * Refused: ERR_TSM_CONFLICT when the SSD exists and is taken over; see `ifExists` otherwise.
 * @example const { initialKvn, blocks } = await createSsd(hsm, mnoCtx, isd, { ssdAid }, { spTenant: 'bank-a' })
 */
export async function createSsd(
  hsm: Hsm,
  mnoCtx: OperationContext,
  isd: SecureChannelSession,
  options: CreateSsdOptions,
  handover: { readonly spTenant: string; readonly kbpk?: string },
): Promise<SsdHandover> {
  const ssdAid = aidArg(options.ssdAid, 'ssdAid');
  const kvn = kvnArg(options.kvn ?? DEFAULT_INITIAL_KVN, 'kvn');
  const keyLength = options.keyLength ?? 16;
  if (![16, 24, 32].includes(keyLength)) throw new TsmError('ERR_TSM_REQUEST', 'keyLength: 16, 24 or 32');
  const isdDek = sessionDek(isd, options.isdDek);
  const kbpk = handover.kbpk ?? (await findHandoverKbpk(hsm, mnoCtx, handover.spTenant));
  await clearWay(isd, ssdAid, options.ifExists === 'recreate');
  const loadFileAid = aidArg(options.sdPackage?.loadFileAid ?? SD_PACKAGE_AID, 'sdPackage.loadFileAid');
  const moduleAid = aidArg(options.sdPackage?.moduleAid ?? SD_MODULE_AID, 'sdPackage.moduleAid');
  await sendOk(isd, buildInstall({
    kind: 'install', loadFileAid, moduleAid, applicationAid: ssdAid, privileges: options.privileges ?? SSD_PRIVILEGES,
    parameters: encodeInstallParameters({ applicationSpecific: new Uint8Array(0) }), makeSelectable: true,
  }), 'INSTALL [for install and make selectable] of the SSD');
  await sendOk(isd, buildInstall({ kind: 'personalization', applicationAid: ssdAid }), 'INSTALL [for personalization] of the SSD');
  const made: KeyHandle[] = [];
  try {
    const blocks: Partial<Record<keyof HandoverBlocks, string>> = {};
    for (const [role, field] of ROLES) {
      const { key, block } = await hsm.generateKeyForExport({
        ...GP_KEY_ROLES[role], algorithm: 'A', length: keyLength, exportability: 'S', owner: mnoCtx.tenant, label: role, class: 'transient',
      }, kbpk, mnoCtx);
      made.push(key);
      blocks[field] = block;
    }
    const entries = [];
    for (const key of made) entries.push(wrappedKeyEntry(await hsm.wrapKeyForCard(key.id, isdDek, { scp: 3 }, mnoCtx)));
    const request = { replaceKvn: 0, newKvn: kvn, firstKeyId: 1, keys: entries };
    const response = await sendOk(isd, buildPutKey(request), 'PUT KEY of the SSD initial keys');
    checkPutKeyResponse(response.data, request);
    return Object.freeze({ initialKvn: kvn, blocks: Object.freeze({ enc: blocks.enc!, mac: blocks.mac!, dek: blocks.dek! }) });
  } finally {
    // the MNO's copies go whatever happened: after the handover only the SP tenant holds them
    for (const key of made) await hsm.destroyKey(key.id, [], mnoCtx);
  }
}
