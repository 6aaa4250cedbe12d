/**
 * The transaction a terminal runs, and the terminal data elements it gives the card through the PDOL
 * and CDOL1 (EMV Book 3 §5.4, Annex A formats: n = BCD, right-justified, zero-filled).
 */
import { DeviceError } from '../errors.ts';

/** What the merchant asks for. */
export interface Transaction {
  /** Amount, authorised (9F02), in minor units (n12). */
  readonly amount: number | bigint;
  /** Amount, other (9F03), cashback, in minor units (n12); default 0. */
  readonly otherAmount?: number | bigint;
  /** Transaction currency code (5F2A), ISO 4217 numeric, e.g. 978. */
  readonly currency: number;
  /** Terminal country code (9F1A), ISO 3166-1 numeric, e.g. 250. */
  readonly country: number;
  /** Transaction date (9A), 'YYMMDD'. */
  readonly date: string;
  /** Transaction type (9C), 2 digits; default '00' (purchase). */
  readonly type?: string;
}

const MAX_AMOUNT = 999_999_999_999n;

function param(message: string): DeviceError {
  return new DeviceError('ERR_DEVICE_PARAM', `transaction: ${message}`);
}

/** Encodes digits as packed BCD of `bytes` bytes, left-filled with zeros (format n). */
export function bcd(digits: string, bytes: number): Uint8Array {
  if (!/^\d*$/.test(digits) || digits.length > bytes * 2) throw param(`expected at most ${bytes * 2} digits`);
  const padded = digits.padStart(bytes * 2, '0');
  return Uint8Array.from({ length: bytes }, (_, i) => Number.parseInt(padded.slice(2 * i, 2 * i + 2), 16));
}

function amount(value: unknown, name: string): Uint8Array {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else throw param(`${name}: an integer number of minor units`);
  if (n < 0n || n > MAX_AMOUNT) throw param(`${name}: 0 to ${MAX_AMOUNT}`);
  return bcd(n.toString(), 6);
}

function code(value: unknown, name: string): Uint8Array {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 999) throw param(`${name}: a numeric code 0..999`);
  return bcd(value.toString(), 2);
}

/** Checks 'YYMMDD' is a calendar date. */
export function isYymmdd(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{6}$/.test(value)) return false;
  const month = Number(value.slice(2, 4));
  const day = Number(value.slice(4, 6));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/**
 * The terminal data elements of `tx`, keyed by upper-case hex tag, as the DOLs ask for them:
 * 9F02, 9F03, 5F2A, 9F1A, 9A, 9C. (The kernel adds 9F66, 9F37 and 95.)
 */
export function transactionData(tx: Transaction): Record<string, Uint8Array> {
  if (typeof tx !== 'object' || tx === null) throw param('expected an object');
  if (!isYymmdd(tx.date)) throw param("date: 'YYMMDD'");
  const type = tx.type ?? '00';
  if (typeof type !== 'string' || !/^\d{2}$/.test(type)) throw param('type: two digits');
  return {
    '9F02': amount(tx.amount, 'amount'),
    '9F03': amount(tx.otherAmount ?? 0, 'otherAmount'),
    '5F2A': code(tx.currency, 'currency'),
    '9F1A': code(tx.country, 'country'),
    '9A': bcd(tx.date, 3),
    '9C': bcd(type, 1),
  };
}
