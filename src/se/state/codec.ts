/**
 * Card state ⇄ JSON text. Byte arrays are written as `{ "$hex": "…" }`, so the file is plain JSON
 * and round-trips exactly. Loading checks the format marker and the shape of the top level; a
 * damaged file is a typed error, never a half-built card.
 */
import { fromHex, toHex } from '../../bytes/index.ts';
import { SeError } from '../errors.ts';
import type { CardState } from './card-state.ts';

const FORMAT = 'opentsm-se/1';

function replacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $hex: toHex(value) } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$hex') {
      const hex = (value as { $hex: unknown }).$hex;
      if (typeof hex !== 'string') throw new SeError('ERR_SE_STATE', 'card state: $hex must be a string');
      return fromHex(hex, 'card state byte string');
    }
  }
  return value;
}

/** Serialises a card state (stable key order as built; two spaces of indentation). */
export function encodeCardState(state: CardState): string {
  return `${JSON.stringify(state, replacer, 2)}\n`;
}

/** Parses a card state file; refuses anything that is not a version-1 card state. */
export function decodeCardState(text: string): CardState {
  let value: unknown;
  try {
    value = JSON.parse(text, reviver);
  } catch (e) {
    if (e instanceof SeError) throw e;
    throw new SeError('ERR_SE_STATE', `card state: not valid JSON (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  const s = value as Partial<CardState> | null;
  if (s === null || typeof s !== 'object' || s.format !== FORMAT) {
    throw new SeError('ERR_SE_STATE', `card state: expected format ${FORMAT}`);
  }
  const bad = (what: string): never => {
    throw new SeError('ERR_SE_STATE', `card state: ${what}`);
  };
  if (typeof s.profile !== 'string') bad('profile missing');
  if (typeof s.lifecycle !== 'number') bad('lifecycle missing');
  if (!(s.isdAid instanceof Uint8Array)) bad('isdAid missing');
  if (!(s.cplc instanceof Uint8Array)) bad('cplc missing');
  if (!Array.isArray(s.loadFiles) || !Array.isArray(s.applications)) bad('registry missing');
  if (typeof s.memoryQuota !== 'number') bad('memoryQuota missing');
  return s as CardState;
}
