/**
 * Issuer script secure messaging for integrity (EMV 4.4 Book 2 §9.2, format 2 in §9.2.1.2, MAC
 * computation §9.2.3 and Annex A1.2.1): the MAC the issuer appends to a script command and the card
 * checks before acting on it.
 */
import { concat, equalCt } from '../bytes/index.ts';
import { retailMac } from '../crypto/index.ts';
import { assertEmvBytes, assertEmvInt } from './assert.ts';
import { EmvError } from './errors.ts';

/** The transaction data some schemes MAC between the header and the command data (never sent). */
export interface ScriptTransactionData {
  /** ATC (9F36), 2 bytes. */
  atc: Uint8Array;
  /** The application cryptogram of the transaction (9F26), 8 bytes. */
  arqc: Uint8Array;
}

/** What goes into a script command MAC. */
export interface ScriptMacInput {
  /** CLA INS P1 P2 (CLA with the secure-messaging bits set, e.g. 84). */
  header: Uint8Array;
  /** The command data as sent (already enciphered if confidentiality applies); may be empty. */
  data: Uint8Array;
  /** The MAC length that will be appended (4..8): Lc counts it. */
  macLength: number;
  /** ATC and ARQC when the CVN pads the MAC input with transaction data, else `null` (CVN_PROFILES). */
  transactionData: ScriptTransactionData | null;
}

/**
 * The MAC input CLA INS P1 P2 Lc ‖ [ATC ‖ ARQC] ‖ data, with Lc = data length + MAC length
 * (Book 2 §9.2.3: the MAC covers the header with the final Lc; the ATC/ARQC insertion is the
 * layout of pyemv 1.5.0's CVN classes, vectors sm/*).
 * @example scriptMacInput({ header: hex`84180000`, data: new Uint8Array(0), macLength: 8, transactionData: { atc, arqc } })
 */
export function scriptMacInput(input: ScriptMacInput): Uint8Array {
  assertEmvBytes(input?.header, [4], 'script command header (CLA INS P1 P2)');
  assertEmvBytes(input.data, undefined, 'script command data');
  assertEmvInt(input.macLength, 4, 8, 'script MAC length');
  const lc = input.data.length + input.macLength;
  if (lc > 255) throw new EmvError('ERR_EMV_INPUT', `script command: Lc ${lc} exceeds 255 (short APDU)`);
  const parts = [input.header, Uint8Array.of(lc)];
  const txn = input.transactionData;
  if (txn !== null) {
    assertEmvBytes(txn?.atc, [2], 'ATC (9F36)');
    assertEmvBytes(txn.arqc, [8], 'ARQC (9F26)');
    parts.push(txn.atc, txn.arqc);
  }
  parts.push(input.data);
  return concat(...parts);
}

/**
 * The script command MAC (Book 2 A1.2.1): ISO 9797-1 MAC algorithm 3, padding method 2, under the
 * 16-byte SM integrity session key, leftmost `length` bytes (4..8).
 */
export function generateScriptMac(sessionKey: Uint8Array, macInput: Uint8Array, options: { length: number }): Uint8Array {
  assertEmvBytes(sessionKey, [16], 'SM integrity session key', 'ERR_EMV_KEY');
  assertEmvBytes(macInput, undefined, 'script MAC input');
  assertEmvInt(options?.length, 4, 8, 'script MAC length');
  return retailMac(sessionKey, macInput, { padding: 2, length: options.length });
}

/**
 * Card-side check of a received script MAC (its length, 4..8, is the length checked); constant-time,
 * false on any mismatch or unusable length, never says which.
 */
export function verifyScriptMac(sessionKey: Uint8Array, macInput: Uint8Array, received: Uint8Array): boolean {
  assertEmvBytes(received, undefined, 'received script MAC');
  const length = received.length >= 4 && received.length <= 8 ? received.length : 8;
  return equalCt(generateScriptMac(sessionKey, macInput, { length }), received);
}

/** The script command as sent: CLA INS P1 P2 Lc ‖ data ‖ MAC (Book 2 §9.2.1.2). */
export function buildScriptCommand(header: Uint8Array, data: Uint8Array, mac: Uint8Array): Uint8Array {
  assertEmvBytes(header, [4], 'script command header (CLA INS P1 P2)');
  assertEmvBytes(data, undefined, 'script command data');
  assertEmvBytes(mac, [4, 5, 6, 7, 8], 'script MAC');
  const lc = data.length + mac.length;
  if (lc > 255) throw new EmvError('ERR_EMV_INPUT', `script command: Lc ${lc} exceeds 255 (short APDU)`);
  return concat(header, Uint8Array.of(lc), data, mac);
}
