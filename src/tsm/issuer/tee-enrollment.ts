/**
 * TEE enrollment (docs/tee.md §4): the issuer gives a phone's TEE its own PIN encryption key. The
 * TEE's factory made a KBPK and sent it as a TR-31 block under the key-injection KEK the issuer's
 * HSM holds (ANSI X9.24-1 key injection; the KEK from a ceremony, label {@link TEE_KIF_LABEL} by
 * default). The HSM imports that KBPK (transient: it serves this one export), generates the PEK —
 * AES-128, usage P0, label `tee-pek:<teeId>` — and exports it under the KBPK (TR-31 version D);
 * then the KBPK is destroyed. The clear PEK never leaves the HSM except inside that block.
 *
 * Idempotent per TEE id: a second enrollment of the same TEE answers the same key (id, KCV)
 * without a block — a new block of an existing key is an `exportKeyBlock`, which needs two
 * custodians (docs/hsm.md); a TEE that lost its block is re-enrolled by them, or under a new id.
 */
import type { Hsm, KeyHandle, OperationContext } from '../../hsm/index.ts';
import { TsmError } from '../errors.ts';

/** The default label of the issuer's key-injection KEK for TEEs (usage K1, AES): set it at the key ceremony. */
export const TEE_KIF_LABEL = 'TEE KIF';

/** A TEE id as the TEE reports it: letters, digits, `.`, `_`, `-`; 1 to 64 characters. */
export const TEE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The longest TR-31 block accepted (an AES-128 KBPK block is 112 characters; headers with options add some). */
const MAX_BLOCK = 512;

export interface TeeEnrollmentRequest {
  readonly teeId: string;
  /** The TEE's KBPK as a TR-31 block under the KIF KEK. */
  readonly kbpkBlock: string;
}

export interface TeeEnrollment {
  readonly teeId: string;
  /** The PEK's HSM key id (what the wallet names as `pin.key` of a pin-change script). */
  readonly pinKey: string;
  /** The PEK as a TR-31 block under the TEE's KBPK; only on the first enrollment. */
  readonly keyBlock?: string;
  readonly kcv: string;
  /** True when this call created the key (HTTP 201), false when it existed (200). */
  readonly created: boolean;
}

/** The HSM label of a TEE's PEK. */
export function teePekLabel(teeId: string): string {
  return `tee-pek:${teeId}`;
}

async function activeByLabel(hsm: Hsm, label: string, ctx: OperationContext): Promise<KeyHandle[]> {
  return (await hsm.listKeys({ label }, ctx)).filter((k) => k.status === 'active').sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * Enrolls a TEE. ERR_TSM_REQUEST for a malformed id or block; the HSM's ERR_HSM_KEY_BLOCK when the
 * block does not open under the KIF KEK; ERR_TSM_STATE when the issuer has no (or more than one) KIF KEK.
 * @example const { pinKey, keyBlock } = await enrollTee(hsm, ctx, { teeId, kbpkBlock })
 */
export async function enrollTee(hsm: Hsm, ctx: OperationContext, request: TeeEnrollmentRequest, options: { readonly kifLabel?: string } = {}): Promise<TeeEnrollment> {
  const teeId = request?.teeId;
  if (typeof teeId !== 'string' || !TEE_ID.test(teeId)) throw new TsmError('ERR_TSM_REQUEST', 'teeId: letters, digits, ., _ or -, 1 to 64 characters');
  if (typeof request.kbpkBlock !== 'string' || request.kbpkBlock.length === 0 || request.kbpkBlock.length > MAX_BLOCK) throw new TsmError('ERR_TSM_REQUEST', `kbpkBlock: a TR-31 key block of at most ${MAX_BLOCK} characters`);
  const label = teePekLabel(teeId);
  const existing = (await activeByLabel(hsm, label, ctx))[0];
  if (existing !== undefined) return { teeId, pinKey: existing.id, kcv: existing.kcv, created: false };

  const kifLabel = options.kifLabel ?? TEE_KIF_LABEL;
  const kif = (await activeByLabel(hsm, kifLabel, ctx)).filter((k) => k.attributes.usage === 'K1');
  if (kif.length !== 1) throw new TsmError('ERR_TSM_STATE', `the issuer needs exactly one active K1 key labelled "${kifLabel}" to enroll TEEs (it has ${kif.length})`);
  const kbpk = await hsm.importKeyBlock(kif[0]!.id, request.kbpkBlock, { owner: ctx.tenant, label: `tee-kbpk:${teeId}`, class: 'transient' }, ctx);
  try {
    if (kbpk.attributes.usage !== 'K1' || kbpk.attributes.algorithm !== 'A') throw new TsmError('ERR_TSM_REQUEST', 'kbpkBlock: an AES key-block protection key (K1) is expected');
    const { key, block } = await hsm.generateKeyForExport(
      // X9.143 §6.3: P0 = PIN encryption key, A = AES, B = encrypt (TEE) and decrypt (HSM), E = exportable under a KEK
      { usage: 'P0', algorithm: 'A', modeOfUse: 'B', exportability: 'E', length: 16, owner: ctx.tenant, label },
      kbpk.id, ctx,
    );
    return { teeId, pinKey: key.id, keyBlock: block, kcv: key.kcv, created: true };
  } finally {
    await hsm.destroyKey(kbpk.id, [], ctx);
  }
}
