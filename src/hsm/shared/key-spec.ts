/**
 * Validation of what a caller asks the HSM to create: X9.143 codes, the algorithm a usage allows
 * (as data, CONVENTIONS.md §10), key lengths, owner and label. A refused spec never reaches the
 * key generator or the store.
 */
import { EXPORTABILITY, KEY_ALGORITHMS, KEY_USAGES, MODES_OF_USE, type KeyAlgorithm, type KeyUsage } from '../../crypto/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import { KEY_CLASSES, isKeyClass, type KeyAttributes, type KeyClass, type KeySpec } from '../key-attributes.ts';

/** Symmetric key lengths in bytes by algorithm. Single DES ('D') is refused (PCI HSM; X9.24-1). */
export const SYMMETRIC_LENGTHS: Readonly<Partial<Record<KeyAlgorithm, readonly number[]>>> = {
  T: [16, 24],
  A: [16, 24, 32],
  H: [16, 24, 32, 48, 64],
};

/** Usages of asymmetric key pairs (X9.143 table 2): never symmetric. */
export const ASYMMETRIC_USAGES: ReadonlySet<KeyUsage> = new Set(['S0', 'S1', 'S2', 'D1', 'K2', 'K3', 'E7']);

/** Which symmetric algorithms a usage allows (default: T and A). */
const USAGE_ALGORITHMS: Readonly<Partial<Record<KeyUsage, readonly KeyAlgorithm[]>>> = {
  M0: ['T'],
  M1: ['T'],
  M3: ['T'],
  M6: ['T', 'A'],
  M7: ['H'],
};

const PRINTABLE = /^[\x21-\x7E](?:[\x20-\x7E]{0,62}[\x21-\x7E])?$/;

/** `Array.isArray` that keeps the element type (it narrows to any[] otherwise). */
export function isList<T>(value: unknown): value is readonly T[] {
  return Array.isArray(value);
}

function param(message: string): HsmError {
  return new HsmError('ERR_HSM_PARAM', message);
}

function code<T extends object>(table: T, value: unknown, what: string): keyof T {
  if (typeof value !== 'string' || !Object.hasOwn(table, value)) throw param(`${what}: unknown code ${JSON.stringify(value)?.slice(0, 8)}`);
  return value as keyof T;
}

/** Checks owner (must be the caller's tenant) and label (printable ASCII, 1–64 characters). */
export function checkOwnerAndLabel(owner: unknown, label: unknown, ctx: OperationContext): void {
  if (typeof owner !== 'string' || !PRINTABLE.test(owner)) throw param('owner: 1 to 64 printable ASCII characters');
  if (owner !== ctx.tenant) throw new HsmError('ERR_HSM_TENANT', 'a key can only be created for the calling tenant');
  if (label !== undefined && (typeof label !== 'string' || !PRINTABLE.test(label))) throw param('label: 1 to 64 printable ASCII characters');
}

/** The key class a caller asked for (`undefined`: `hsm`); anything else than KEY_CLASSES is ERR_HSM_PARAM. */
export function checkKeyClass(value: unknown): KeyClass {
  const keyClass = value === undefined ? 'hsm' : value;
  if (!isKeyClass(keyClass)) throw param(`class: ${KEY_CLASSES.join(', ')}`);
  return keyClass;
}

/** Checks that `usage` may have symmetric `algorithm` keys of `length` bytes. */
export function checkSymmetric(usage: KeyUsage, algorithm: KeyAlgorithm, length: unknown): void {
  if (algorithm === 'D' || (algorithm === 'T' && length === 8)) throw new HsmError('ERR_HSM_UNSUPPORTED', 'single-DES keys are refused (X9.24-1, PCI HSM)');
  if (ASYMMETRIC_USAGES.has(usage) || algorithm === 'R' || algorithm === 'E' || algorithm === 'S') {
    throw param(`usage ${usage} / algorithm ${algorithm}: asymmetric keys come from generateKeyPair or a TR-31 import`);
  }
  const allowed = USAGE_ALGORITHMS[usage] ?? ['T', 'A'];
  if (!allowed.includes(algorithm)) throw param(`usage ${usage} takes algorithm ${allowed.join(' or ')}, not ${algorithm}`);
  const lengths = SYMMETRIC_LENGTHS[algorithm] ?? [];
  if (typeof length !== 'number' || !lengths.includes(length)) throw param(`algorithm ${algorithm}: key length ${lengths.join(', ')} bytes`);
}

/** The attributes of a symmetric key to create from `spec` on behalf of `ctx`. */
export function symmetricAttributes(spec: KeySpec, ctx: OperationContext): KeyAttributes {
  if (typeof spec !== 'object' || spec === null) throw param('key spec: expected an object');
  const usage = code(KEY_USAGES, spec.usage, 'usage');
  const algorithm = code(KEY_ALGORITHMS, spec.algorithm, 'algorithm');
  const modeOfUse = code(MODES_OF_USE, spec.modeOfUse, 'mode of use');
  const exportability = code(EXPORTABILITY, spec.exportability, 'exportability');
  checkOwnerAndLabel(spec.owner, spec.label, ctx);
  checkSymmetric(usage, algorithm, spec.length);
  const version = spec.version ?? 0;
  if (!Number.isInteger(version) || version < 0 || version > 99) throw param('version: an integer 0..99');
  const keyClass = checkKeyClass(spec.class);
  return { usage, algorithm, modeOfUse, exportability, length: spec.length, version, owner: spec.owner, label: spec.label, class: keyClass };
}
