/**
 * TEE test helpers: a TEE served in the test's own process (serveTee on a Unix socket in a temp
 * dir) with the PIN TA over an in-memory trusted input (the IPC pair) and an echo TA, and a manufactured storage
 * directory whose KBPK the test knows (it plays the issuer: it opens the KBPK block with the KIF KEK).
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex } from '../../../src/bytes/index.ts';
import { unwrapKeyBlock, wrapKeyBlock } from '../../../src/crypto/index.ts';
import {
  IpcTrustedInput, TEEC_PARAM, TEEC_RESULT, TaError, TeeStorage, Touchscreen, manufactureTee, pinTa, serveTee,
  type IpcChannel, type TaParam, type TrustedApplication,
} from '../../../src/device/index.ts';

/** The key-injection KEK of the tests (the "ceremony" key both factory and HSM know). */
export const KIF_KEK = fromHex('3F419E1CB7079442AA37474C2EFBF8B8');
/** A second, distinctive PEK for tests that build the block themselves. */
export const TEST_PEK = fromHex('00112233445566778899AABBCCDDEEFF');

export const ECHO_TA_UUID = '0e0e0e0e-0000-4000-8000-000000000001';

/** Echo TA: command 1: [0] VALUE_INOUT a+1, b+2; [1] MEMREF_TEMP_INPUT → [2] MEMREF_TEMP_OUTPUT reversed. Command 2: waits for cancellation. */
export const echoTa: TrustedApplication = {
  uuid: ECHO_TA_UUID,
  openSession: () => ({
    invoke: async (command: number, params: readonly TaParam[], signal: AbortSignal) => {
      if (command === 2) {
        await new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new TaError(TEEC_RESULT.ERROR_CANCEL, 'cancelled'))));
        return;
      }
      if (command !== 1) throw new TaError(TEEC_RESULT.ERROR_NOT_SUPPORTED, 'no such command');
      const [v, src, dst] = params;
      if (v?.type !== TEEC_PARAM.VALUE_INOUT || src?.type !== TEEC_PARAM.MEMREF_TEMP_INPUT || dst?.type !== TEEC_PARAM.MEMREF_TEMP_OUTPUT) throw new TaError(TEEC_RESULT.ERROR_BAD_PARAMETERS, 'types');
      v.a += 1;
      v.b += 2;
      dst.data = src.data.slice().reverse();
    },
    close: () => undefined,
  }),
};

/** Two ends of an in-memory IPC channel (what fork() gives the platform and the TEE). */
export function ipcPair(): { tee: IpcChannel; platform: IpcChannel } {
  const a = new EventEmitter();
  const b = new EventEmitter();
  const end = (self: EventEmitter, other: EventEmitter): IpcChannel => ({
    send: (m: unknown) => setImmediate(() => other.emit('message', structuredClone(m))),
    on: (event: 'message', listener: (m: unknown) => void) => self.on(event, listener),
  });
  return { tee: end(a, b), platform: end(b, a) };
}

export interface InProcessTee {
  readonly endpoint: string;
  readonly storage: TeeStorage;
  readonly touchscreen: Touchscreen;
  /** The TEE's KBPK (the test opened the factory block with KIF_KEK). */
  readonly kbpk: Uint8Array;
  readonly teeId: string;
  readonly kbpkBlock: string;
  close(): Promise<void>;
}

/** A manufactured TEE served in this process. */
export async function inProcessTee(options: { pinTimeoutMs?: number } = {}): Promise<InProcessTee> {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-tee-test-'));
  const storage = new TeeStorage(join(dir, 'storage'));
  const made = manufactureTee({ storageDir: storage.dir, kifKek: KIF_KEK, teeId: 'tee-test-1' });
  const kbpk = unwrapKeyBlock(KIF_KEK, made.kbpkBlock).key;
  const pair = ipcPair();
  const input = new IpcTrustedInput(pair.tee, options.pinTimeoutMs ?? 5000);
  const touchscreen = new Touchscreen(pair.platform);
  const server: Server = createServer();
  serveTee(server, [pinTa({ storage, input }), echoTa]);
  const endpoint = join(dir, 'teec.sock');
  await new Promise<void>((resolve) => server.listen({ path: endpoint }, resolve));
  return {
    endpoint, storage, touchscreen, kbpk, teeId: made.teeId, kbpkBlock: made.kbpkBlock,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(resolve, 500).unref();
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A PEK block for a TEE's KBPK, as the issuer's HSM would make it (usage P0, AES, mode B). */
export function pekBlock(kbpk: Uint8Array, pek: Uint8Array = TEST_PEK, header: Partial<{ usage: 'P0' | 'D0'; modeOfUse: 'B' | 'D' }> = {}): string {
  return wrapKeyBlock(kbpk, pek, { header: { version: 'D', usage: header.usage ?? 'P0', algorithm: 'A', modeOfUse: header.modeOfUse ?? 'B', exportability: 'E' } });
}
