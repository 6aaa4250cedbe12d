/**
 * A throwaway SoftHSM2 token (research/services.md): its own token directory and softhsm2.conf in
 * a temp dir, initialized with `softhsm2-util --init-token --free`. SOFTHSM2_CONF is set in this
 * process before the library is loaded (SoftHSM2 reads it at C_Initialize), so the tests never
 * touch a system token. Used by the services test and by `npm run bench:hsm`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  readonly module: string;
  readonly label: string;
  /** The user PIN (test value; production reads it from a 0600 file or a prompt). */
  readonly pin: string;
  readonly dir: string;
  remove(): void;
}

/** Whether SoftHSM2 and its tool are installed. */
export function softHsmAvailable(): boolean {
  return existsSync(SOFTHSM_MODULE) && existsSync('/usr/bin/softhsm2-util');
}

/**
 * Creates a token labelled `label` in a new temp dir and points this process at it. Call before
 * the first Pkcs11Hsm.open in the process; one token directory per process.
 */
export function createSoftHsmToken(label: string): SoftHsmToken {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  const pin = '246810';
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '13579111'], { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe', timeout: 20_000 });
  return { module: SOFTHSM_MODULE, label, pin, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
