/**
 * The TEE process (the secure world of the model): forked by the phone platform (tee-platform.ts),
 * it hosts the PIN TA, serves the TEE Client API on a loopback endpoint for rich-OS clients (the
 * wallet, in another process), and reads PINs only from its IPC channel to the platform — the
 * trusted input. Boot: the platform sends `{type:'boot', storageDir, socketPath | tcp, pinTimeoutMs}`;
 * the TEE answers `{type:'ready', endpoint}`. It exits when the platform sends `{type:'stop'}` or
 * the IPC channel closes. Nothing it holds — KBPK, PEK, PIN — is ever written to stdout or stderr.
 */
import { createServer, type AddressInfo } from 'node:net';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pinTa } from './pin-ta.ts';
import { serveTee } from './tee-server.ts';
import { TeeStorage } from './tee-storage.ts';
import { IpcTrustedInput, type IpcChannel } from './trusted-input.ts';

/** What the platform sends first. */
export interface TeeBoot {
  readonly type: 'boot';
  readonly storageDir: string;
  /** A Unix socket path to listen on; or `tcp: true` for 127.0.0.1 on a free port. */
  readonly socketPath?: string;
  readonly tcp?: boolean;
  /** How long ENTER_PIN waits for the user (ms). */
  readonly pinTimeoutMs: number;
}

function isBoot(m: unknown): m is TeeBoot {
  const v = m as Partial<TeeBoot> | null;
  return v?.type === 'boot' && typeof v.storageDir === 'string' && typeof v.pinTimeoutMs === 'number' && (typeof v.socketPath === 'string' || v.tcp === true);
}

/** Boots the TEE on `channel` (the child's IPC). */
export function runTee(channel: IpcChannel & { once(event: 'disconnect', l: () => void): unknown }, exit: (code: number) => void): void {
  let booted = false;
  const server = createServer();
  channel.on('message', (m: unknown) => {
    if ((m as { type?: unknown } | null)?.type === 'stop') {
      server.close(() => exit(0));
      setTimeout(() => exit(0), 1000).unref();
      return;
    }
    if (booted || !isBoot(m)) return;
    booted = true;
    const input = new IpcTrustedInput(channel, m.pinTimeoutMs);
    serveTee(server, [pinTa({ storage: new TeeStorage(m.storageDir), input })]);
    server.on('error', () => exit(1));
    const ready = (): void => {
      const address = server.address();
      const endpoint = typeof address === 'string' ? address : `tcp://127.0.0.1:${(address as AddressInfo).port}`;
      channel.send({ type: 'ready', endpoint });
    };
    if (m.tcp === true) server.listen({ host: '127.0.0.1', port: 0 }, ready);
    else server.listen({ path: m.socketPath! }, ready);
  });
  channel.once('disconnect', () => exit(0));
}

function isMain(): boolean {
  const argv1 = process.argv[1];
  if (argv1 === undefined) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain() && process.send !== undefined) {
  runTee(process as unknown as IpcChannel & { once(event: 'disconnect', l: () => void): unknown }, (code) => process.exit(code));
}
