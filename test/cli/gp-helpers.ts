/**
 * Running `opentsm gp` in process against virtual cards in temporary state files: `run()` from
 * src/cli/main.ts with stdout and stderr captured, and the GP_KEY* variables under the test's control.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { run } from '../../src/cli/main.ts';
import { FileCardStore, STRICT_ESE, type CardProfile, type CardState } from '../../src/se/index.ts';
import { loadVectors } from '../helpers/vectors.ts';
import { splitComponents, zipCap } from '../gp/cm/helpers.ts';
import { ISD_KEYS, testCardState } from '../se/helpers.ts';

/** What one CLI run printed. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const KEY_VARIABLES = ['GP_KEY', 'GP_KEY_ENC', 'GP_KEY_MAC', 'GP_KEY_DEK'] as const;

/**
 * Runs `opentsm gp …args` in process. The GP_KEY* variables are cleared for the run unless `env`
 * sets them; everything is restored afterwards.
 */
export async function gp(args: readonly string[], env: Partial<Record<(typeof KEY_VARIABLES)[number], string>> = {}): Promise<CliResult> {
  const saved = Object.fromEntries(KEY_VARIABLES.map((k) => [k, process.env[k]]));
  for (const k of KEY_VARIABLES) {
    if (env[k] === undefined) delete process.env[k];
    else process.env[k] = env[k];
  }
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = (chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  process.stderr.write = (chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  try {
    const code = await run(['node', 'opentsm', 'gp', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    for (const k of KEY_VARIABLES) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

/** The test card's ISD keys as CLI options (distinct ENC, MAC, DEK). */
export const KEY_ARGS = ['--key-enc', toHex(ISD_KEYS.enc), '--key-mac', toHex(ISD_KEYS.mac), '--key-dek', toHex(ISD_KEYS.dek)];

/** The same keys as GlobalPlatformPro's environment variables. */
export const KEY_ENV = { GP_KEY_ENC: toHex(ISD_KEYS.enc), GP_KEY_MAC: toHex(ISD_KEYS.mac), GP_KEY_DEK: toHex(ISD_KEYS.dek) };

/** A temporary folder with a virtual card (and room for CAP files); `cleanup()` removes it. */
export class CardDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'opentsm-gp-'));
  readonly card: string;

  constructor(profile: CardProfile = STRICT_ESE) {
    this.card = join(this.dir, 'card.json');
    new FileCardStore(this.card).save(testCardState(profile));
  }

  /** The card's committed state, read from its file. */
  state(): CardState {
    return new FileCardStore(this.card).load();
  }

  /** Writes the GPPro test CAP (test/vectors/gp/misc.json) into the folder, as cap.test.ts builds it. */
  testCap(): string {
    const vector = loadVectors<{ vectors: { id: string; code_hex: string }[] }>('gp/misc.json').vectors.find((v) => v.id === 'gppro-cap-lfdb')!;
    const path = join(this.dir, 'empty.cap');
    writeFileSync(path, zipCap(splitComponents(fromHex(vector.code_hex))));
    return path;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The GPPro test CAP's package and applet AIDs. */
export const TEST_PACKAGE_AID = '0102030405';
export const TEST_APPLET_AID = '0102030405060708';
