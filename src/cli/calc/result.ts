/**
 * What a `calc` verb prints: one result object, as aligned `label  value` lines for people or as
 * JSON (`--json`) for scripts. Both forms come from the same object, so they never disagree; the
 * labels are the JSON keys in words (`cardCryptogram` → "card cryptogram", `enc.kcv` → "ENC KCV").
 */
import type { Output } from '../gp/output.ts';
import { table } from '../gp/table.ts';

/** A value in a result: hex and names are strings; nested objects group related values. */
export type CalcValue = string | number | boolean | CalcResult;
/** A verb's result; keys in camelCase, in print order; undefined entries are left out. */
export interface CalcResult {
  readonly [key: string]: CalcValue | undefined;
}

/** Words printed in capitals. */
const ACRONYMS = new Set([
  'kcv', 'enc', 'mac', 'dek', 'arqc', 'arpc', 'atc', 'un', 'pan', 'psn', 'kdd', 'iv', 'aid', 'kbpk', 'pin', 'csu', 'arc',
  'icc', 'imk', 'cvn', 'sd', 'mk', 'r', 'ecb', 'cbc', 'tdes', 'aes', 'des', 'ac', 'kdf', 'id', 'lmk',
]);
/** Keys whose label is not their words. */
const LABELS: Readonly<Record<string, string>> = {
  sEnc: 'S-ENC', sMac: 'S-MAC', sRmac: 'S-RMAC', cMac: 'C-MAC', rMac: 'R-MAC', tag91: 'tag 91 (issuer authentication data)',
};

/** `cardCryptogram` → "card cryptogram"; `kcv` → "KCV". */
export function labelOf(key: string): string {
  const fixed = LABELS[key];
  if (fixed !== undefined) return fixed;
  if (/^[A-Z0-9]+$/.test(key)) return key; // a code: a tag (9F02), an optional block ID (LB)
  return key
    .split(/(?=[A-Z])|(?<=[a-z])(?=\d)/)
    .map((w) => w.toLowerCase())
    .map((w) => (ACRONYMS.has(w) ? w.toUpperCase() : w))
    .join(' ');
}

function rows(result: CalcResult, prefix: string): string[][] {
  return Object.entries(result).flatMap(([key, value]): string[][] => {
    if (value === undefined) return [];
    // "ICC master key" + "key" reads as "ICC master key", not "ICC master key key"
    const label = prefix === '' ? labelOf(key) : key === 'key' && / key$/.test(prefix) ? prefix : `${prefix} ${labelOf(key)}`;
    if (typeof value === 'object') return rows(value, label);
    return [[label, String(value)]];
  });
}

/** Prints `result` on stdout: JSON with `json`, else one aligned line per value. */
export function printResult(out: Output, result: CalcResult, json: boolean): void {
  if (json) {
    out.out(JSON.stringify(result, null, 2));
    return;
  }
  for (const line of table(rows(result, ''))) out.out(line);
}
