/**
 * Command-line values of `opentsm gp`: hex data, AIDs, key version numbers, privilege lists and
 * life-cycle states. Each refusal is an `ERR_CLI_USAGE` naming the option and what it expects.
 */
import { fromHex } from '../../bytes/index.ts';
import { PRIVILEGE_NAMES, isAid, type PrivilegeName } from '../../gp/index.ts';
import { CliError } from '../errors.ts';

function usage(message: string): CliError {
  return new CliError('ERR_CLI_USAGE', message);
}

/** Hex with optional spaces, colons or a leading 0x. The value is not echoed: it may be secret (STORE DATA). */
export function parseHex(text: string, what: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '').replace(/^0x/i, '');
  try {
    return fromHex(clean, what);
  } catch (e) {
    throw usage(`${what}: expected hex digits in pairs (${e instanceof Error ? e.message.replace(`${what}: `, '') : 'not hex'})`);
  }
}

/** An AID of 5 to 16 bytes in hex. */
export function parseAid(text: string, what: string): Uint8Array {
  const aid = parseHex(text, what);
  const length = aid.length;
  if (!isAid(aid)) throw usage(`${what}: an AID is 5 to 16 bytes (10 to 32 hex digits), got ${length} bytes`);
  return aid;
}

/**
 * A byte-sized number: decimal, or hex with `0x` (`--kvn 0x30` and `--kvn 48` are the same key
 * version). `min`/`max` bound it.
 */
export function parseByte(text: string, what: string, min = 0, max = 0xff): number {
  const t = text.trim();
  const value = /^0x[0-9a-f]{1,2}$/i.test(t) ? Number.parseInt(t.slice(2), 16) : /^\d{1,3}$/.test(t) ? Number.parseInt(t, 10) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = `${min}..${max} (0x${min.toString(16).toUpperCase()}..0x${max.toString(16).toUpperCase()})`;
    throw usage(`${what}: expected a number in ${range}, decimal or hex with 0x, got "${text}"`);
  }
  return value;
}

/** Privilege names, case-insensitive and comma-separated (`--privs SecurityDomain,CardReset`). */
export function parsePrivilegeNames(text: string | undefined): PrivilegeName[] {
  if (text === undefined || text.trim() === '') return [];
  const byName = new Map(PRIVILEGE_NAMES.map((n) => [n.toLowerCase(), n]));
  return text.split(',').map((raw) => {
    const name = byName.get(raw.trim().toLowerCase());
    if (name === undefined) throw usage(`--privs: unknown privilege "${raw.trim()}" (known: ${PRIVILEGE_NAMES.join(', ')})`);
    return name;
  });
}

