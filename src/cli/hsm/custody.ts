/**
 * `opentsm hsm custodian add|list` and `component`: the people who hold dual control, and the key
 * components they carry. Passphrases and components are typed at a no-echo prompt
 * (src/cli/prompt.ts), never taken from argv or the environment; a component is never printed,
 * only its KCV.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { toHex, wipe } from '../../bytes/index.ts';
import { kcv, randomBytes } from '../../crypto/index.ts';
import { withOddParity } from '../../emv/index.ts';
import type { CustodianCredential } from '../../hsm/index.ts';
import { choice, integer, optional, secretHex, usage, type CalcOptions } from '../calc/input.ts';
import type { CalcResult } from '../calc/result.ts';
import { CliError } from '../errors.ts';
import type { Output } from '../gp/output.ts';
import type { Prompter } from '../prompt.ts';
import { openPrompter, optionalDataDir, type HsmOptions, type HsmSession } from './context.ts';

/** Asks each named custodian for their passphrase (no echo). */
export async function credentials(prompter: Prompter, names: readonly string[]): Promise<CustodianCredential[]> {
  const out: CustodianCredential[] = [];
  for (const name of names) out.push({ custodian: name, passphrase: await prompter.secret(`${name}: passphrase`) });
  return out;
}

/** The `--custodian` names of a dual-control operation: at least two, all different. */
export function custodianNames(o: CalcOptions, min: number, max: number): string[] {
  const names = Array.isArray(o.custodian) ? (o.custodian as string[]) : [];
  const range = min === max ? `${min}` : `${min} to ${max}`;
  if (names.length < min || names.length > max) throw usage(`--custodian: name ${range} custodians (--custodian A --custodian B), got ${names.length}`);
  if (new Set(names).size !== names.length) throw usage('--custodian: each custodian once (dual control needs different people)');
  return names;
}

/** `hsm custodian add NAME [--approver EXISTING]`: the passphrase twice; an existing custodian approves. */
export async function custodianAdd(session: HsmSession, name: string, o: CalcOptions): Promise<CalcResult> {
  const approver = optional(o, 'approver');
  const existing = await session.hsm.store.listCustodians();
  if (existing.length > 0 && approver === undefined) {
    throw usage(`--approver: required: ${existing.length} custodian(s) are registered, and one of them approves a new one`);
  }
  if (existing.length === 0 && approver !== undefined) throw usage('--approver: the first custodian registers alone (there is no one to approve yet)');
  const prompter = session.prompter();
  const passphrase = await prompter.newSecret(`${name}: new passphrase`);
  const approval = approver === undefined ? undefined : (await credentials(prompter, [approver]))[0];
  await session.hsm.registerCustodian({ custodian: name, passphrase }, approval, session.ctx);
  session.out.err(`custodian ${name} registered${approver === undefined ? ' (the first: no approval)' : `, approved by ${approver}`}`);
  return { custodian: name, approvedBy: approver ?? 'none (first custodian)', custodians: existing.length + 1 };
}

/** `hsm custodian list`: names and registration times. */
export async function custodianList(session: HsmSession): Promise<CalcResult> {
  const records = await session.hsm.store.listCustodians();
  return Object.fromEntries(records.map((r) => [r.name, r.createdAt]));
}

/** Component lengths by algorithm (the HSM forms T and A keys from components). */
const COMPONENT_LENGTHS = { T: [16, 24], A: [16, 24, 32] } as const;

/** The KCV of a component as the HSM checks it: X9.24-1 for TDES, AES-CMAC for AES. */
function componentKcv(algorithm: 'T' | 'A', component: Uint8Array): string {
  return toHex(kcv(component, algorithm === 'T' ? 'tdes-zeros' : 'aes-cmac', 3));
}

/** Reads one component: typed twice without echo, checked for length and equality. */
export async function readComponent(prompter: Prompter, label: string, length: number): Promise<Uint8Array> {
  const first = secretHex(await prompter.secret(label), label, [length]);
  const second = secretHex(await prompter.secret(`${label} (again)`), label, [length]);
  const same = first.every((b, i) => b === second[i]);
  wipe(second);
  if (!same) {
    wipe(first);
    throw new CliError('ERR_CLI_INPUT', `${label}: the two entries differ`);
  }
  return first;
}

/** Writes a generated component to a new file of its own (0600), never into the HSM's data directory. */
function writeComponentFile(path: string, component: Uint8Array, options: HsmOptions): void {
  const target = resolve(path);
  const dataDir = optionalDataDir(options);
  if (dataDir !== undefined && !relative(dataDir, target).startsWith('..')) {
    throw usage('--out: a clear component never goes into the HSM\'s data directory; write it to removable media');
  }
  let fd: number | undefined;
  const text = new TextEncoder().encode(`${toHex(component)}\n`);
  try {
    fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    writeSync(fd, text);
  } catch (e) {
    throw new CliError('ERR_CLI_INPUT', `--out: cannot create ${target} (${e instanceof Error && 'code' in e ? String(e.code) : 'error'}); it must not exist yet`);
  } finally {
    if (fd !== undefined) closeSync(fd);
    wipe(text);
  }
}

/**
 * `hsm component --algorithm T|A [--length N]`: a custodian enters a component (twice, no echo) and
 * gets its KCV for the component form; with `--generate --out FILE` a random one is written to FILE
 * (mode 0600, for removable media) instead. Offline: neither needs the HSM.
 */
export async function hsmComponent(o: CalcOptions & HsmOptions, out: Output): Promise<CalcResult> {
  const algorithm = choice(o, 'algorithm', ['T', 'A'] as const);
  const lengths: readonly number[] = COMPONENT_LENGTHS[algorithm];
  const length = integer(o, 'length', 1, 64, algorithm === 'T' ? 16 : 32);
  if (!lengths.includes(length)) throw usage(`--length ${length}: ${algorithm} components are ${lengths.join(', ')} bytes`);
  const generate = o.generate === true;
  const path = optional(o, 'out');
  if (generate !== (path !== undefined)) throw usage('--generate and --out go together: a generated component is written to a file, never printed');
  let component: Uint8Array;
  if (generate) {
    const raw = randomBytes(length);
    component = algorithm === 'T' ? withOddParity(raw) : raw;
    if (component !== raw) wipe(raw);
    writeComponentFile(path!, component, o);
    out.err(`wrote the component to ${resolve(path!)} (mode 0600): give it to its custodian, then delete every other copy`);
  } else {
    const prompter = openPrompter(o);
    try {
      component = await readComponent(prompter, 'component', length);
    } finally {
      prompter.close();
    }
  }
  try {
    return { algorithm, length, kcv: componentKcv(algorithm, component), ...(generate ? { file: resolve(path!) } : {}) };
  } finally {
    wipe(component);
  }
}
