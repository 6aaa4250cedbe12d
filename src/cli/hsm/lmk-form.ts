/**
 * The LMK from custodians' components, and the LMK file, for `opentsm hsm init --from-components`
 * and `opentsm hsm lmk-change`: each named custodian authenticates, types a 32-byte component twice
 * (no echo) and the KCV from the form; hsm/'s `assembleLmk` checks custodians and KCVs, and the file
 * is written in lmk-file.ts's format (one line of 64 hex digits, mode 0600, never overwritten).
 */
import { existsSync } from 'node:fs';
import { OpenTsmError, wipe } from '../../bytes/index.ts';
import { LMK_LENGTH, assembleLmk, loadLmkFile, type KeyComponentInput, type Lmk } from '../../hsm/index.ts';
import type { HsmSession } from './context.ts';
import { credentials, readComponent } from './custody.ts';

/** Where the new LMK waits while an LMK change is in progress: beside the LMK file. */
export function pendingLmkPath(lmkPath: string): string {
  return `${lmkPath}.new`;
}

/**
 * The LMKs a session opens: the LMK file's, and while an LMK change is in progress (a pending file
 * beside it, `opentsm hsm lmk-change`) the new one first, so keys under either LMK open and new
 * blocks go under the new one. Returns the current LMK first.
 */
export function loadLmks(lmkPath: string, warn: (line: string) => void): Lmk[] {
  const pending = pendingLmkPath(lmkPath);
  const lmk = loadLmkFile(lmkPath);
  if (!existsSync(pending)) return [lmk];
  try {
    const next = loadLmkFile(pending);
    warn(`warning: an LMK change is in progress (${pending}, KCV ${next.kcv}): finish it with \`opentsm hsm lmk-change --resume\``);
    return [next, lmk];
  } catch (e) {
    lmk.destroy();
    throw e;
  }
}

/** An LMK formed from components: the checked `Lmk` and who entered them. */
export interface FormedLmk {
  readonly lmk: Lmk;
  readonly components: readonly KeyComponentInput[];
  /** Wipes the components and destroys the Lmk. */
  dispose(): void;
}

/**
 * Each named custodian enters their component; `assembleLmk` authenticates them and checks every
 * KCV (and `expectedKcv`). A refusal is recorded in the audit trail as `assembleLmk` refused.
 */
export async function formLmk(session: HsmSession, names: readonly string[], expectedKcv: string | undefined): Promise<FormedLmk> {
  const prompter = session.prompter();
  const components: KeyComponentInput[] = [];
  const wipeAll = (): void => components.forEach((c) => wipe(c.component));
  try {
    for (const [i, name] of names.entries()) {
      const [credential] = await credentials(prompter, [name]);
      const component = await readComponent(prompter, `${name}: LMK component ${i + 1} of ${names.length}`, LMK_LENGTH);
      components.push({ credential: credential!, component, kcv: await prompter.ask(`${name}: KCV of LMK component ${i + 1} (from the form)`) });
    }
    const lmk = await assembleLmk(components, { store: session.hsm.store, ...(expectedKcv === undefined ? {} : { expectedKcv }) }).catch(async (e: unknown) => {
      const code = e instanceof OpenTsmError ? String((e as OpenTsmError<string>).code) : 'ERR_HSM_BACKEND';
      await session.recordEvent({ operation: 'assembleLmk', result: 'refused', code, detail: `custodians: ${names.join(', ')}` });
      throw e;
    });
    return {
      lmk,
      components,
      dispose: () => {
        wipeAll();
        if (!lmk.destroyed) lmk.destroy();
      },
    };
  } catch (e) {
    wipeAll();
    throw e;
  }
}
