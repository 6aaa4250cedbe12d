/**
 * The phone platform's side of the TEE: starts the TEE as its own process and keeps the trusted
 * input (the touchscreen) to itself. The wallet, another process, gets only the endpoint.
 * From source the TEE runs under tsx (`--import tsx`); from dist under plain node.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceError } from '../errors.ts';
import { TEEC_RESULT } from './teec.ts';
import { Touchscreen } from './trusted-input.ts';

export interface StartTeeOptions {
  /** The TEE's secure storage directory (manufacture it first: tee-factory.ts). */
  readonly storageDir: string;
  /** How long ENTER_PIN waits for the user, ms (default 60 000). */
  readonly pinTimeoutMs?: number;
  /** Listen on 127.0.0.1 TCP instead of a Unix socket. */
  readonly tcp?: boolean;
  /** How long to wait for the TEE to boot, ms (default 20 000: tsx compiles on first start). */
  readonly bootTimeoutMs?: number;
}

export interface TeeHandle {
  /** Where TEE Client API clients connect (`TeecContext.initialize(endpoint)`). */
  readonly endpoint: string;
  /** The trusted input; only the platform holds it. */
  readonly touchscreen: Touchscreen;
  readonly pid: number;
  /** Stops the TEE process and removes its socket directory. */
  stop(): Promise<void>;
}

/**
 * Forks the TEE process (tee-process.ts) and waits until it serves.
 * @example const tee = await startTee({ storageDir }); … await tee.stop()
 */
export async function startTee(options: StartTeeOptions): Promise<TeeHandle> {
  const self = fileURLToPath(import.meta.url);
  const fromSource = self.endsWith('.ts');
  const modulePath = join(self, '..', fromSource ? 'tee-process.ts' : 'tee-process.js');
  const socketDir = mkdtempSync(join(tmpdir(), 'opentsm-tee-'));
  const child = fork(modulePath, [], { execArgv: fromSource ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  const touchscreen = new Touchscreen(child);
  const cleanup = (): void => rmSync(socketDir, { recursive: true, force: true });
  try {
    const ready = booted(child, options.bootTimeoutMs ?? 20_000);
    child.send({ type: 'boot', storageDir: options.storageDir, pinTimeoutMs: options.pinTimeoutMs ?? 60_000, ...(options.tcp === true ? { tcp: true } : { socketPath: join(socketDir, 'teec.sock') }) });
    return { endpoint: await ready, touchscreen, pid: child.pid ?? -1, stop: () => stop(child, cleanup) };
  } catch (e) {
    child.kill();
    cleanup();
    throw e;
  }
}

function booted(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeviceError('ERR_DEVICE_TEE', 'the TEE did not start in time', { teecResult: TEEC_RESULT.ERROR_COMMUNICATION })), timeoutMs);
    child.on('message', (m: unknown) => {
      const v = m as { type?: unknown; endpoint?: unknown } | null;
      if (v?.type === 'ready' && typeof v.endpoint === 'string') {
        clearTimeout(timer);
        resolve(v.endpoint);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new DeviceError('ERR_DEVICE_TEE', 'the TEE process exited', { teecResult: TEEC_RESULT.ERROR_COMMUNICATION }));
    });
  });
}

function stop(child: ChildProcess, cleanup: () => void): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      cleanup();
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', done);
    if (child.connected) child.send({ type: 'stop' });
    setTimeout(() => child.kill(), 3000).unref();
  });
}
