/**
 * `opentsm hsm lmk-change`: a new LMK for the software HSM, approved by two custodians, every key
 * record re-wrapped under it by hsm/'s `rewrapAll` (software/lmk-rotation.ts: batches, the old LMK
 * unwrapping until the last record is re-sealed). The new LMK is random, or formed from 2–3
 * custodians' components.
 *
 * Files, so a stop at any point leaves a working HSM: the new LMK is written first beside the LMK
 * file (`lmk.key.new`, 0600) — from then on every session opens with both LMKs (lmk-form.ts
 * `loadLmks`) and `--resume` finishes the change; after the re-wrap the old file is kept as
 * `lmk.key.<KCV>.retired` (store backups made before the change need it) and the new one renamed
 * over `lmk.key` (an atomic replace).
 */
import { chmodSync, constants, copyFileSync, existsSync, linkSync, renameSync, rmSync } from 'node:fs';
import { HsmError, generateLmk, loadLmkFile, writeLmkFile, type CustodianCredential, type Lmk } from '../../hsm/index.ts';
import { usage, type CalcOptions } from '../calc/input.ts';
import type { CalcResult } from '../calc/result.ts';
import type { Output } from '../gp/output.ts';
import { HsmSession, locationOf, type HsmOptions } from './context.ts';
import { credentials, custodianNames } from './custody.ts';
import { formLmk, pendingLmkPath } from './lmk-form.ts';

/** Refusals that mean `rewrapAll` changed nothing (the approvals failed before the new LMK was promoted). */
const NOTHING_DONE: ReadonlySet<string> = new Set(['ERR_HSM_CUSTODIAN', 'ERR_HSM_DUAL_CONTROL']);

/** Writes the new LMK to the pending file and returns the approvals that go with it. */
async function prepareNewLmk(session: HsmSession, o: CalcOptions, names: readonly string[], pending: string): Promise<CustodianCredential[]> {
  if (o.fromComponents !== true) {
    const approvals = await credentials(session.prompter(), names);
    const lmk = generateLmk();
    try {
      writeLmkFile(pending, lmk);
    } finally {
      lmk.destroy();
    }
    return approvals;
  }
  const formed = await formLmk(session, names, undefined);
  try {
    if (formed.lmk.kcv === session.hsm.lmkKcv) throw usage(`the components form the current LMK (KCV ${formed.lmk.kcv}): an LMK change needs new components`);
    writeLmkFile(pending, formed.lmk);
    await session.recordEvent({ operation: 'assembleLmk', result: 'ok', keys: [{ id: 'lmk', kcv: formed.lmk.kcv }], detail: `custodians: ${names.join(', ')}; the new LMK of an LMK change` });
    return formed.components.map((c) => c.credential);
  } finally {
    formed.dispose();
  }
}

/** A second name for the old LMK file (a hard link, else a 0600 copy where links are not supported). */
function keepCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to, constants.COPYFILE_EXCL);
    chmodSync(to, 0o600);
  }
}

/** `hsm lmk-change --custodian A --custodian B [--from-components | --resume]`. */
export async function hsmLmkChange(o: CalcOptions & HsmOptions, out: Output): Promise<CalcResult> {
  const resume = o.resume === true;
  if (resume && o.fromComponents === true) throw usage('--resume finishes the change in progress with its new LMK; --from-components forms another: give one');
  const names = custodianNames(o, 2, 3);
  const where = locationOf(o);
  const pending = pendingLmkPath(where.lmkPath);
  if (existsSync(pending) !== resume) {
    throw usage(resume ? `--resume: no LMK change is in progress (${pending} does not exist)` : `an LMK change is in progress (${pending} exists): finish it with --resume`);
  }
  const old = existsSync(where.lmkPath) ? loadLmkFile(where.lmkPath) : undefined;
  const oldKcv = old?.kcv;
  old?.destroy();
  const session = await HsmSession.open(o, out);
  let next: Lmk | undefined;
  try {
    const approvals = resume ? await credentials(session.prompter(), names) : await prepareNewLmk(session, o, names, pending);
    next = loadLmkFile(pending);
    let count: number;
    try {
      count = await session.hsm.rewrapAll(next, approvals, session.ctx);
    } catch (e) {
      if (!resume && e instanceof HsmError && NOTHING_DONE.has(e.code)) rmSync(pending);
      else out.err(`the LMK change stopped; both LMKs stay usable. Finish it with \`opentsm hsm lmk-change --resume\``);
      throw e;
    }
    const retired = `${where.lmkPath}.${oldKcv}.retired`;
    if (!existsSync(retired)) keepCopy(where.lmkPath, retired);
    renameSync(pending, where.lmkPath);
    out.err(`LMK changed: KCV ${oldKcv} -> ${next.kcv}, ${count} key records re-wrapped, approved by ${names.join(', ')}`);
    out.err(`back up ${where.lmkPath} offline. The old LMK is kept in ${retired} (mode 0600): store backups made before the change need it; destroy it when they expire`);
    return { oldLmkKcv: oldKcv, lmkKcv: next.kcv, rewrapped: count, lmkFile: where.lmkPath, retiredLmkFile: retired };
  } finally {
    await session.close();
    next?.destroy();
  }
}
