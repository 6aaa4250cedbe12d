/**
 * What the conformance suite needs from a backend, and helpers written against the Hsm interface
 * only (so the PKCS#11 backend runs the suite unchanged; its setup function hides everything
 * backend-specific).
 */
import assert from 'node:assert/strict';
import { OpenTsmError, fromHex, toHex, xor } from '../../../src/bytes/index.ts';
import { kcv, randomBytes, wrapKeyBlock } from '../../../src/crypto/index.ts';
import type { AuditEvent, CustodianCredential, Hsm, KeyHandle, KeySpec, OperationContext } from '../../../src/hsm/index.ts';

/** One backend instance for one test. */
export interface HsmUnderTest {
  readonly hsm: Hsm;
  /** The tenant the suite works as. */
  readonly ctx: OperationContext;
  /** A second tenant, whose context must never reach the first tenant's keys. */
  readonly otherCtx: OperationContext;
  /** At least three custodians registered with the backend, with their passphrases. */
  readonly custodians: readonly CustodianCredential[];
  /** The audit events recorded so far (the suite checks one per call and that none holds a secret). */
  readonly auditEvents: () => readonly AuditEvent[];
  /**
   * Creates a fixture key of known clear value. Default: `importComponents` with two of the
   * custodians (the suite's own path); a backend may load fixtures another way.
   */
  readonly importKey?: (spec: KeySpec, clear: Uint8Array) => Promise<KeyHandle>;
  /**
   * Operations the backend refuses by design with ERR_HSM_UNSUPPORTED (documented in its source);
   * the suite asserts that refusal instead of the result. Names: OPTIONAL_OPERATIONS.
   */
  readonly unsupported?: ReadonlySet<string>;
  close(): Promise<void> | void;
}

export type HsmSetup = () => Promise<HsmUnderTest>;

/**
 * What a backend may declare in `unsupported`, each asserted as an ERR_HSM_UNSUPPORTED refusal
 * where the suite exercises it (never skipped):
 * - 'scp02-put-key': `wrapKeyForCard` of a stored key with `scp: 2` (gp.ts);
 * - 'aes192-put-key': `wrapKeyForCard` of a stored AES-192 key (gp.ts);
 * - 'tr31-variant-binding': `importKeyBlock` of TR-31 versions A and C (tr31-vectors.ts).
 */
export const OPTIONAL_OPERATIONS = ['scp02-put-key', 'aes192-put-key', 'tr31-variant-binding'] as const;
export type OptionalOperation = (typeof OPTIONAL_OPERATIONS)[number];

/** Whether backend `t` declares `operation` unsupported; a name the suite does not know fails the test. */
export function declaresUnsupported(t: HsmUnderTest, operation: OptionalOperation): boolean {
  const known: readonly string[] = OPTIONAL_OPERATIONS;
  for (const name of t.unsupported ?? []) assert.ok(known.includes(name), `unsupported: the suite has no refusal check for "${name}" (known: ${known.join(', ')})`);
  return t.unsupported?.has(operation) ?? false;
}

/** Runs `fn` on a fresh backend instance and closes it. */
export async function withHsm(setup: HsmSetup, fn: (t: HsmUnderTest) => Promise<void>): Promise<void> {
  const t = await setup();
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

/** The KCV a custodian's form shows for a component of `algorithm`. */
export function componentKcv(algorithm: 'T' | 'A', component: Uint8Array): string {
  return toHex(kcv(component, algorithm === 'T' ? 'tdes-zeros' : 'aes-cmac'));
}

/** Splits `clear` into two random components held by custodians 0 and 1. */
export function splitKey(t: HsmUnderTest, algorithm: 'T' | 'A', clear: Uint8Array, who: readonly number[] = [0, 1]) {
  const first = randomBytes(clear.length);
  const second = xor(clear, first);
  return [first, second].map((component, i) => ({ credential: t.custodians[who[i]!]!, component, kcv: componentKcv(algorithm, component) }));
}

/** A fixed KBPK the suite imports fixture keys under when components cannot carry them. */
const FIXTURE_KBPK = fromHex('F0E1D2C3B4A5968778695A4B3C2D1E0F0F1E2D3C4B5A69788796A5B4C3D2E1F0');

/**
 * TDES test keys with equal halves (AAAA…AAAA, FFFF…FFFF in published vectors) have single-DES
 * strength: forming them from components is refused (ERR_HSM_WEAK_KEY, a ceremony mistake), so the
 * suite brings them in as a TR-31 block from a partner instead.
 */
function equalHalves(algorithm: string, clear: Uint8Array): boolean {
  return algorithm === 'T' && toHex(clear.subarray(0, 8)) === toHex(clear.subarray(8, 16));
}

async function importViaBlock(t: HsmUnderTest, spec: KeySpec, clear: Uint8Array, ctx: OperationContext): Promise<KeyHandle> {
  const kbpk = await t.hsm.importComponents({ usage: 'K1', algorithm: 'A', modeOfUse: 'D', exportability: 'N', length: 32, owner: ctx.tenant, label: 'fixture KBPK' }, splitKey(t, 'A', FIXTURE_KBPK), ctx);
  const block = wrapKeyBlock(FIXTURE_KBPK, clear, {
    header: { version: 'D', usage: spec.usage, algorithm: spec.algorithm, modeOfUse: spec.modeOfUse, exportability: spec.exportability, keyVersion: String(spec.version ?? 0).padStart(2, '0') },
  });
  return t.hsm.importKeyBlock(kbpk.id, block, { owner: spec.owner, ...(spec.label === undefined ? {} : { label: spec.label }), ...(spec.class === undefined ? {} : { class: spec.class }) }, ctx);
}

/** A key of known value `clear` with `spec` (owner: the suite's tenant unless the spec says otherwise). */
export async function importClear(t: HsmUnderTest, spec: Omit<KeySpec, 'owner' | 'length'> & { owner?: string }, clear: Uint8Array, ctx: OperationContext = t.ctx): Promise<KeyHandle> {
  const full: KeySpec = { ...spec, owner: spec.owner ?? ctx.tenant, length: clear.length };
  if (t.importKey !== undefined && ctx === t.ctx) return t.importKey(full, clear);
  if (full.algorithm !== 'T' && full.algorithm !== 'A') throw new Error(`fixture keys of algorithm ${full.algorithm} need the backend's importKey`);
  if (equalHalves(full.algorithm, clear)) return importViaBlock(t, full, clear, ctx);
  return t.hsm.importComponents(full, splitKey(t, full.algorithm, clear), ctx);
}

/** Two distinct custodians' approvals. */
export function approvals(t: HsmUnderTest): readonly CustodianCredential[] {
  return [t.custodians[0]!, t.custodians[1]!];
}

/** Asserts `promise` rejects with an OpenTSM error of `code`; returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<OpenTsmError> {
  let caught: unknown;
  await assert.rejects(promise, (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof OpenTsmError, `expected an OpenTsmError, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  return caught;
}

/** The uppercase hex KCV of a clear key (TDES X9.24, AES CMAC): what a handle must show. */
export function expectedKcv(algorithm: 'T' | 'A', clear: Uint8Array): string {
  return toHex(kcv(clear, algorithm === 'T' ? 'tdes-zeros' : 'aes-cmac'));
}

/** Common key specs of the suite. */
export const SPECS = {
  kbpkT: { usage: 'K1', algorithm: 'T', modeOfUse: 'B', exportability: 'N' },
  kbpkA: { usage: 'K1', algorithm: 'A', modeOfUse: 'B', exportability: 'N' },
  imkAc: { usage: 'E0', algorithm: 'T', modeOfUse: 'X', exportability: 'N', label: 'IMK-AC' },
  imkSmi: { usage: 'E2', algorithm: 'T', modeOfUse: 'X', exportability: 'N', label: 'IMK-SMI' },
  imkSmc: { usage: 'E1', algorithm: 'T', modeOfUse: 'X', exportability: 'N', label: 'IMK-SMC' },
  pinT: { usage: 'P0', algorithm: 'T', modeOfUse: 'B', exportability: 'N' },
  pinA: { usage: 'P0', algorithm: 'A', modeOfUse: 'B', exportability: 'N' },
  macRetail: { usage: 'M3', algorithm: 'T', modeOfUse: 'C', exportability: 'E' },
  dataT: { usage: 'D0', algorithm: 'T', modeOfUse: 'B', exportability: 'E' },
  dataA: { usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'E' },
  kek: { usage: 'K0', algorithm: 'A', modeOfUse: 'B', exportability: 'N' },
  gpMaster: { usage: 'B3', algorithm: 'A', modeOfUse: 'X', exportability: 'N' },
  gpEnc: { usage: 'E5', algorithm: 'A', modeOfUse: 'X', exportability: 'S', label: 'GP-ENC' },
  gpMac: { usage: 'E5', algorithm: 'A', modeOfUse: 'X', exportability: 'S', label: 'GP-MAC' },
  gpDek: { usage: 'K0', algorithm: 'A', modeOfUse: 'E', exportability: 'S', label: 'GP-DEK' },
} as const satisfies Record<string, Omit<KeySpec, 'owner' | 'length'>>;
