/**
 * What `opentsm hsm generate` and `import` create: the X9.143 attributes from the command line,
 * checked here so a mistake is refused before anyone types a passphrase or a component.
 */
import { EXPORTABILITY, KEY_ALGORITHMS, KEY_USAGES, MODES_OF_USE, type Exportability, type KeyAlgorithm, type KeyUsage, type ModeOfUse } from '../../crypto/index.ts';
import type { KeyHandle, KeySpec } from '../../hsm/index.ts';
import { choice, integer, optional, usage, type CalcOptions } from '../calc/input.ts';
import type { CalcResult } from '../calc/result.ts';

const codes = <T extends object>(table: T): (keyof T & string)[] => Object.keys(table) as (keyof T & string)[];

/** Symmetric key lengths in bytes the CLI offers, by algorithm (default first). */
export const KEY_LENGTHS: Readonly<Partial<Record<KeyAlgorithm, readonly number[]>>> = {
  T: [16, 24],
  A: [32, 16, 24],
  H: [32, 16, 24, 48, 64],
};

/** The key spec of `--usage --algorithm [--length] --mode --exportability [--label] [--key-version]` for `tenant`. */
export function keySpecOf(o: CalcOptions, tenant: string): KeySpec {
  const keyUsage = choice<KeyUsage>(o, 'usage', codes(KEY_USAGES));
  const algorithm = choice<KeyAlgorithm>(o, 'algorithm', codes(KEY_ALGORITHMS));
  const lengths = KEY_LENGTHS[algorithm];
  if (lengths === undefined) throw usage(`--algorithm ${algorithm}: the CLI creates T (TDES), A (AES) and H (HMAC) keys; asymmetric keys come in as TR-31 blocks`);
  const length = integer(o, 'length', 1, 64, lengths[0]);
  if (!lengths.includes(length)) throw usage(`--length ${length}: ${algorithm} keys are ${[...lengths].sort((a, b) => a - b).join(', ')} bytes`);
  const modeOfUse = choice<ModeOfUse>(o, 'mode', codes(MODES_OF_USE));
  const exportability = choice<Exportability>(o, 'exportability', codes(EXPORTABILITY));
  const label = optional(o, 'label');
  return { usage: keyUsage, algorithm, length, modeOfUse, exportability, owner: tenant, version: integer(o, 'keyVersion', 0, 99, 0), ...(label === undefined ? {} : { label }) };
}

/** A key handle as a result: attributes, status and KCV — never key material (there is none in a handle). */
export function handleResult(h: KeyHandle): CalcResult {
  const a = h.attributes;
  return {
    id: h.id,
    ...(a.label === undefined ? {} : { label: a.label }),
    owner: a.owner,
    usage: a.usage,
    algorithm: a.algorithm,
    length: a.length,
    modeOfUse: a.modeOfUse,
    exportability: a.exportability,
    version: a.version,
    status: h.status,
    kcv: h.kcv,
  };
}
