/**
 * `opentsm hsm init`: a new software HSM — its LMK file (AES-256, mode 0600, never overwritten) and
 * its store. The LMK is either random, or formed from 2 or 3 components entered by different
 * custodians (dual control), each checked by its KCV: a new installation, or the LMK brought back
 * onto a store whose LMK file was lost (the assembled LMK must then be the one the stored keys are
 * wrapped under). Components and passphrases are typed at no-echo prompts, never in argv.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { createLmkFile, writeLmkFile } from '../../hsm/index.ts';
import { closeDatabase, listKeys } from '../../store/index.ts';
import { optional, usage, type CalcOptions } from '../calc/input.ts';
import type { CalcResult } from '../calc/result.ts';
import { CliError } from '../errors.ts';
import type { Output } from '../gp/output.ts';
import type { Prompter } from '../prompt.ts';
import { recordCliEvent } from './audit.ts';
import { HsmSession, cliContext, locationOf, openStore, type HsmLocation, type HsmOptions } from './context.ts';
import { credentials, custodianNames } from './custody.ts';
import { formLmk } from './lmk-form.ts';

/** How a path is named in a message: relative to the data directory when inside it. */
function shown(where: HsmLocation, path: string): string {
  return where.dataDir !== undefined && !relative(where.dataDir, path).startsWith('..') ? relative(where.dataDir, path) : path;
}

/** Refuses to replace an LMK file, and prepares the data directory (mode 0700). */
function prepare(where: HsmLocation, out: Output): void {
  if (existsSync(where.lmkPath)) {
    throw usage(`${where.dataDir ?? dirname(where.lmkPath)}: already initialised (${shown(where, where.lmkPath)} exists); a new LMK would orphan every key wrapped under the old one`);
  }
  if (where.dataDir !== undefined) {
    mkdirSync(where.dataDir, { recursive: true, mode: 0o700 });
    if ((statSync(where.dataDir).mode & 0o077) !== 0) out.err(`warning: ${where.dataDir} is accessible to group or others; chmod 700 it`);
  }
}

/** `hsm init [--from-components --custodian A --custodian B [--custodian C] [--lmk-kcv KCV]]`. */
export async function hsmInit(o: CalcOptions & HsmOptions, out: Output): Promise<CalcResult> {
  const fromComponents = o.fromComponents === true;
  if (!fromComponents && (Array.isArray(o.custodian) || optional(o, 'lmkKcv') !== undefined)) {
    throw usage('--custodian and --lmk-kcv go with --from-components (an LMK formed from custodians\' components)');
  }
  const names = fromComponents ? custodianNames(o, 2, 3) : [];
  const expectedKcv = optional(o, 'lmkKcv');
  if (expectedKcv !== undefined && !/^[0-9A-Fa-f]{6}$/.test(expectedKcv)) throw usage('--lmk-kcv: expected the 3-byte KCV recorded at the ceremony (6 hex digits)');
  const where = locationOf(o);
  prepare(where, out);
  return fromComponents ? initFromComponents(o, where, names, expectedKcv, out) : initRandom(where, out);
}

async function initRandom(where: HsmLocation, out: Output): Promise<CalcResult> {
  if (where.sqlitePath !== undefined && existsSync(where.sqlitePath)) {
    throw usage(`${shown(where, where.sqlitePath)} exists without its LMK file: restore ${shown(where, where.lmkPath)} from its backup, or form the LMK again with --from-components`);
  }
  const db = await openStore(where);
  try {
    if ((await listKeys(db, {})).length > 0) throw usage(`the store ${where.storeName} holds keys: a new LMK would orphan them (restore the LMK file, or --from-components)`);
    const lmk = createLmkFile(where.lmkPath);
    try {
      await recordCliEvent(db, cliContext({}), { operation: 'createLmk', result: 'ok', keys: [{ id: 'lmk', kcv: lmk.kcv }], detail: `random LMK, file ${where.lmkPath}` });
      out.err(`created ${where.lmkPath} (mode 0600): the LMK, AES-256, KCV ${lmk.kcv}. Back it up offline; every key is wrapped under it.`);
      out.err(`store ready: ${where.storeName} (key records, custodians, audit trail)`);
      out.err('next: register the key custodians with `opentsm hsm custodian add NAME`');
      return { ...(where.dataDir === undefined ? {} : { dataDir: where.dataDir }), lmkFile: where.lmkPath, lmkKcv: lmk.kcv, store: where.storeName };
    } finally {
      lmk.destroy();
    }
  } finally {
    await closeDatabase(db);
  }
}

/** Registers the named custodians the store does not know yet: the first alone, the others approved by a known one. */
async function registerMissing(session: HsmSession, prompter: Prompter, names: readonly string[]): Promise<string[]> {
  const known = new Set((await session.hsm.store.listCustodians()).map((c) => c.name));
  const added: string[] = [];
  for (const name of names) {
    if (known.has(name)) continue;
    const approver = names.find((n) => n !== name && known.has(n)) ?? (known.size > 0 ? undefined : null);
    if (approver === undefined) {
      throw usage(`--custodian ${name}: not registered, and none of the named custodians is: register ${name} first (opentsm hsm custodian add ${name} --approver …)`);
    }
    const passphrase = await prompter.newSecret(`${name}: new passphrase`);
    const approval = approver === null ? undefined : (await credentials(prompter, [approver]))[0];
    await session.hsm.registerCustodian({ custodian: name, passphrase }, approval, session.ctx);
    session.out.err(`custodian ${name} registered${approver === null ? ' (the first: no approval)' : `, approved by ${approver}`}`);
    known.add(name);
    added.push(name);
  }
  return added;
}

async function initFromComponents(o: HsmOptions, where: HsmLocation, names: readonly string[], expectedKcv: string | undefined, out: Output): Promise<CalcResult> {
  const session = await HsmSession.storeOnly(o, out);
  try {
    const registered = await registerMissing(session, session.prompter(), names);
    const formed = await formLmk(session, names, expectedKcv);
    try {
      const { lmk } = formed;
      const stale = await session.hsm.store.listKeysNotUnder(lmk.kcv, 1);
      if (stale.length > 0) {
        await session.recordEvent({ operation: 'assembleLmk', result: 'refused', keys: [{ id: 'lmk', kcv: lmk.kcv }], code: 'ERR_CLI_INPUT', detail: 'not the LMK of the stored keys' });
        throw new CliError('ERR_CLI_INPUT', `the assembled LMK (KCV ${lmk.kcv}) is not the LMK the store's keys are wrapped under (KCV ${stale[0]!.lmkKcv}): check the components; nothing was written`);
      }
      writeLmkFile(where.lmkPath, lmk);
      await session.recordEvent({ operation: 'assembleLmk', result: 'ok', keys: [{ id: 'lmk', kcv: lmk.kcv }], detail: `custodians: ${names.join(', ')}; file ${where.lmkPath}` });
      out.err(`created ${where.lmkPath} (mode 0600): the LMK, AES-256, KCV ${lmk.kcv}, formed from ${names.length} components: ${names.join(', ')}`);
      return {
        ...(where.dataDir === undefined ? {} : { dataDir: where.dataDir }),
        lmkFile: where.lmkPath,
        lmkKcv: lmk.kcv,
        store: where.storeName,
        custodians: names.join(', '),
        ...(registered.length === 0 ? {} : { registered: registered.join(', ') }),
      };
    } finally {
      formed.dispose();
    }
  } finally {
    await session.close();
  }
}
