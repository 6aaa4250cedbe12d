/**
 * A key record's secret: a TR-31 (ANSI X9.143) version D key block under the LMK whose header binds
 * everything someone editing the database must not be able to change (ARCHITECTURE.md §3):
 *
 * | header field / optional block | binds |
 * |---|---|
 * | usage, algorithm, mode of use, exportability | the X9.143 attributes |
 * | key version number | `version` (2 digits) |
 * | key context `1` | storage context only (X9.143:2021 §6.2): never accepted as an exchange block |
 * | `LB` (X9.143 label) | `label`, when set |
 * | `0I` (proprietary) | the record id, so blocks cannot be swapped between records |
 * | `0O`, `0C` | owner (tenant) and key class |
 * | `0S` | status (`active` / `retired`), so a retired key cannot be revived by an edit |
 * | `0L` | length (bytes, or bits for asymmetric keys) |
 * | `0P` | SHA-256 of the public key (asymmetric keys), so `publicKey` cannot be swapped |
 *
 * Proprietary optional block IDs start with a digit (X9.143:2021 §6.3.6). On every use the record's
 * fields are compared with the authenticated header; any difference refuses the record
 * (ERR_HSM_KEY_BLOCK) rather than trusting either side.
 */
import { type KeyBlockHeader, type KeyBlockHeaderInput, type OptionalBlock } from '../../crypto/index.ts';
import { HsmError } from '../errors.ts';
import type { KeyAttributes } from '../key-attributes.ts';
import type { KeyRecord } from '../key-record-store.ts';

/** The status values a live (not destroyed) record can have. */
export type LiveStatus = 'active' | 'retired';

/** What a sealed block binds besides the key. */
export interface SealedFacts {
  readonly id: string;
  readonly attributes: KeyAttributes;
  readonly status: LiveStatus;
  /** Hex SHA-256 of the SPKI DER, asymmetric keys only. */
  readonly publicKeyHash?: string | undefined;
}

const BLOCK = { id: '0I', owner: '0O', class: '0C', status: '0S', length: '0L', publicKey: '0P', label: 'LB' } as const;
const KNOWN_BLOCKS: ReadonlySet<string> = new Set(Object.values(BLOCK));

/** Two-digit TR-31 key version number of `version` (0..99). */
export function keyVersionField(version: number): string {
  return String(version).padStart(2, '0');
}

/** The header an LMK block of `facts` carries. */
export function sealHeader(facts: SealedFacts): KeyBlockHeaderInput {
  const a = facts.attributes;
  const blocks: OptionalBlock[] = [
    { id: BLOCK.id, data: facts.id },
    { id: BLOCK.owner, data: a.owner },
    { id: BLOCK.class, data: a.class },
    { id: BLOCK.status, data: facts.status },
    { id: BLOCK.length, data: String(a.length) },
  ];
  if (a.label !== undefined) blocks.push({ id: BLOCK.label, data: a.label });
  if (facts.publicKeyHash !== undefined) blocks.push({ id: BLOCK.publicKey, data: facts.publicKeyHash });
  return {
    version: 'D',
    usage: a.usage,
    algorithm: a.algorithm,
    modeOfUse: a.modeOfUse,
    keyVersion: keyVersionField(a.version),
    exportability: a.exportability,
    keyContext: '1',
    optionalBlocks: blocks,
  };
}

function mismatch(record: KeyRecord, field: string): HsmError {
  return new HsmError('ERR_HSM_KEY_BLOCK', `key record ${record.id}: its ${field} disagrees with the key block under the LMK (edited store?)`);
}

/**
 * Compares a record with the authenticated header of its block (and the key facts the caller
 * computed from the clear key: its KCV and, for asymmetric keys, the public key hash).
 */
export function checkRecordAgainstHeader(record: KeyRecord, header: KeyBlockHeader, keyKcv: string): void {
  const a = record.attributes;
  const blocks = new Map<string, string>();
  for (const b of header.optionalBlocks) {
    if (!KNOWN_BLOCKS.has(b.id) || blocks.has(b.id)) throw mismatch(record, `optional block ${b.id}`);
    blocks.set(b.id, b.data);
  }
  const expect: readonly [string, unknown, unknown][] = [
    ['key block version', header.version, 'D'],
    ['key context', header.keyContext, '1'],
    ['usage', header.usage, a.usage],
    ['algorithm', header.algorithm, a.algorithm],
    ['mode of use', header.modeOfUse, a.modeOfUse],
    ['exportability', header.exportability, a.exportability],
    ['version', header.keyVersion, Number.isInteger(a.version) ? keyVersionField(a.version) : undefined],
    ['id', blocks.get(BLOCK.id), record.id],
    ['owner', blocks.get(BLOCK.owner), a.owner],
    ['class', blocks.get(BLOCK.class), a.class],
    ['status', blocks.get(BLOCK.status), record.status],
    ['length', blocks.get(BLOCK.length), String(a.length)],
    ['label', blocks.get(BLOCK.label), a.label],
    ['KCV', keyKcv, record.kcv],
  ];
  for (const [field, bound, stated] of expect) if (bound !== stated) throw mismatch(record, field);
}

/** The public key hash bound in a header, if any. */
export function boundPublicKeyHash(header: KeyBlockHeader): string | undefined {
  return header.optionalBlocks.find((b) => b.id === BLOCK.publicKey)?.data;
}
