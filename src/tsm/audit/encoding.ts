/**
 * The canonical byte encodings the chain MACs and the checkpoints sign (docs/audit.md §3). Every
 * field is length-prefixed (4-byte big-endian length, then UTF-8), integers are 8-byte big-endian,
 * and each encoding starts with its own domain tag, so no two different records — and no record and
 * checkpoint — share an encoding.
 */
import { createHash } from 'node:crypto';
import { concat } from '../../bytes/index.ts';
import { AUDIT_MAC_LENGTH, type AuditRecord } from './record.ts';

const RECORD_TAG = 'OpenTSM audit record v1';
const GENESIS_TAG = 'OpenTSM audit genesis v1';
const CHECKPOINT_TAG = 'OpenTSM audit checkpoint v1';
const utf8 = new TextEncoder();

/** The fields of a record that its MAC covers (encoded in the order `encodeRecord` writes them). */
export type MacedFields = Omit<AuditRecord, 'macKey' | 'prevMac' | 'mac'>;

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, Math.trunc(n))));
  return out;
}

function field(value: Uint8Array | string): Uint8Array {
  const bytes = typeof value === 'string' ? utf8.encode(value) : value;
  return concat(u32(bytes.length), bytes);
}

/** An absent request id encodes differently from an empty one: a presence byte, then the field. */
function optional(value: string | undefined): Uint8Array {
  return value === undefined ? new Uint8Array([0]) : concat(new Uint8Array([1]), field(value));
}

/**
 * The MAC input of a record: tag ‖ log id ‖ seq ‖ at ‖ tenant ‖ actor ‖ kind ‖ action ‖ request id
 * ‖ subjects ‖ result ‖ detail ‖ MAC_{n−1} (each length-prefixed, seq 8 bytes).
 */
export function recordMacInput(fields: MacedFields, prevMac: Uint8Array): Uint8Array {
  return concat(
    field(RECORD_TAG), field(fields.logId), u64(fields.seq), field(fields.at), field(fields.tenant), field(fields.actor),
    field(fields.kind), field(fields.action), optional(fields.requestId), field(fields.subjects), field(fields.result),
    field(fields.detail), field(prevMac),
  );
}

/** MAC_0 of a log: SHA-256(tag ‖ log id). Public, fixed, and different for every log. */
export function genesisMac(logId: string): Uint8Array {
  const digest = new Uint8Array(createHash('sha256').update(field(GENESIS_TAG)).update(field(logId)).digest());
  return digest.subarray(0, AUDIT_MAC_LENGTH);
}

/** The head a checkpoint signs. */
export interface CheckpointHead {
  readonly logId: string;
  readonly seq: number;
  readonly mac: Uint8Array;
  readonly at: string;
}

/** What a checkpoint's signature covers: tag ‖ log id ‖ seq ‖ MAC_seq ‖ at. */
export function checkpointPayload(head: CheckpointHead): Uint8Array {
  return concat(field(CHECKPOINT_TAG), field(head.logId), u64(head.seq), field(head.mac), field(head.at));
}
