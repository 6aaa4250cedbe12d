/**
 * A deploy's request as the job keeps it (docs/provisioning.md §"Deploy"): the parameters — ids
 * only, stored in clear and fingerprinted for idempotency — and the card record, which carries the
 * PAN and goes only into the job's sealed payload (docs/jobs.md, PayloadCipher).
 */
import { fromHex, toHex } from '../../bytes/index.ts';
import { TsmError } from '../errors.ts';
import type { JsonValue } from '../jobs/index.ts';
import { assertPaymentCardRecord, type PaymentCardRecord } from '../personalization/card-record.ts';

/** The job parameters of a deploy. */
export interface DeployParams {
  readonly instanceId: string;
  readonly serviceId: string;
}

/** The parameters of a lock, unlock or terminate job. */
export interface InstanceJobParams {
  readonly instanceId: string;
  /** Who asked: the SP (through its SSD) or the MNO's SE status change (through the ISD, GP reason code). */
  readonly by: 'sp' | 'mno';
  readonly reason?: number;
}

function field(params: JsonValue, name: string): string {
  const value = typeof params === 'object' && params !== null && !Array.isArray(params) ? (params as Record<string, JsonValue>)[name] : undefined;
  if (typeof value !== 'string' || value.length === 0) throw new TsmError('ERR_TSM_STATE', `job params ${name}: missing`);
  return value;
}

export function deployParams(params: JsonValue): DeployParams {
  return { instanceId: field(params, 'instanceId'), serviceId: field(params, 'serviceId') };
}

export function instanceJobParams(params: JsonValue): InstanceJobParams {
  const by = field(params, 'by');
  if (by !== 'sp' && by !== 'mno') throw new TsmError('ERR_TSM_STATE', 'job params by: sp or mno');
  const reason = (params as Record<string, JsonValue>).reason;
  return { instanceId: field(params, 'instanceId'), by, ...(typeof reason === 'number' ? { reason } : {}) };
}

/** The card record as payload bytes (JSON; the PIN block in hex). Checked first. */
export function encodeCardPayload(card: PaymentCardRecord): Uint8Array {
  assertPaymentCardRecord(card);
  const json = {
    ...card,
    ...(card.pin === undefined ? {} : { pin: { tryLimit: card.pin.tryLimit, block: { ...card.pin.block, block: toHex(card.pin.block.block) } } }),
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

/** The card record of a job's payload. */
export function decodeCardPayload(bytes: Uint8Array): PaymentCardRecord {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new TsmError('ERR_TSM_STATE', 'deploy payload: not the JSON card record a deploy stores');
  }
  const card = json as PaymentCardRecord & { pin?: { tryLimit: number; block: { block: string } } };
  const pin = card.pin === undefined ? undefined : { tryLimit: card.pin.tryLimit, block: { ...card.pin.block, block: fromHex(card.pin.block.block, 'pin.block') } };
  const record = { ...card, ...(pin === undefined ? {} : { pin }) };
  assertPaymentCardRecord(record);
  return record;
}
