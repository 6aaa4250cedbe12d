/**
 * The PIN Trusted Application: the wallet asks for a PIN; the TA reads it from the trusted input
 * (which the wallet never sees) and gives back only an ISO 9564-1 format 4 PIN block under the
 * issuer's PIN encryption key (PEK, usage P0), which it received as a TR-31 block under its own
 * KBPK (tee-factory.ts). Commands and their parameters (GP TEE Client API types):
 *
 * - PROVISION_PEK (1): [0] MEMREF_TEMP_INPUT pinKey id (UTF-8), [1] MEMREF_TEMP_INPUT the TR-31
 *   block (ASCII), [2] MEMREF_TEMP_OUTPUT (≥ 3) the PEK's KCV.
 * - ENTER_PIN (2): [0] MEMREF_TEMP_INPUT the PAN (ASCII digits), [1] MEMREF_TEMP_INPUT the prompt
 *   (UTF-8), [2] MEMREF_TEMP_OUTPUT (16) the format 4 block, [3] MEMREF_TEMP_OUTPUT the pinKey id.
 * - STATUS (3): [0] VALUE_OUTPUT a = 1 when a PEK is provisioned, [1] MEMREF_TEMP_OUTPUT the TEE id.
 */
import { fromHex, toHex, wipe } from '../../bytes/index.ts';
import { kcv, unwrapKeyBlock } from '../../crypto/index.ts';
import { encipherPinBlockIso4 } from '../../emv/index.ts';
import { TEEC_LOGIN, TEEC_PARAM, TEEC_RESULT, type TeecLogin } from './teec.ts';
import { TaError, type TaParam, type TaSession, type TrustedApplication } from './tee-server.ts';
import type { TeeStorage } from './tee-storage.ts';
import type { TrustedInput } from './trusted-input.ts';

/** The PIN TA's UUID ("opentsm-pin-ta-1" in ASCII). */
export const PIN_TA_UUID = '6f70656e-7473-6d2d-7069-6e2d74612d31';

/** The PIN TA's command ids. */
export const PIN_TA_COMMAND = { PROVISION_PEK: 1, ENTER_PIN: 2, STATUS: 3 } as const;

const MAX_KEY_ID = 128;
const MAX_BLOCK = 512;
const MAX_PROMPT = 64;
const { MEMREF_TEMP_INPUT: IN, MEMREF_TEMP_OUTPUT: OUT, VALUE_OUTPUT: VOUT, NONE } = TEEC_PARAM;

function badParams(message: string): TaError {
  return new TaError(TEEC_RESULT.ERROR_BAD_PARAMETERS, message);
}

/** The parameters must have exactly these types (trailing NONE may be omitted). */
function expectTypes(params: readonly TaParam[], types: readonly number[]): void {
  for (let i = 0; i < 4; i++) {
    if ((params[i]?.type ?? NONE) !== (types[i] ?? NONE)) throw badParams(`parameter ${i}: expected type ${types[i] ?? NONE}`);
  }
}

function text(p: TaParam, max: number, pattern: RegExp, what: string): string {
  if (p.data.length === 0 || p.data.length > max) throw badParams(`${what}: 1 to ${max} bytes`);
  let s: string;
  try {
    s = new TextDecoder('utf-8', { fatal: true }).decode(p.data);
  } catch {
    throw badParams(`${what}: not UTF-8`);
  }
  if (!pattern.test(s)) throw badParams(`${what}: malformed`);
  return s;
}

export interface PinTaOptions {
  readonly storage: TeeStorage;
  readonly input: TrustedInput;
}

/** The PIN TA over the TEE's storage and trusted input. */
export function pinTa(options: PinTaOptions): TrustedApplication {
  return {
    uuid: PIN_TA_UUID,
    openSession(login: TeecLogin): TaSession {
      if (login !== TEEC_LOGIN.PUBLIC && login !== TEEC_LOGIN.APPLICATION && login !== TEEC_LOGIN.USER_APPLICATION) {
        throw new TaError(TEEC_RESULT.ERROR_ACCESS_DENIED, 'the PIN TA takes PUBLIC or APPLICATION logins');
      }
      return { invoke: (command, params, signal) => invoke(options, command, params, signal), close: () => undefined };
    },
  };
}

function invoke(o: PinTaOptions, command: number, params: readonly TaParam[], signal: AbortSignal): Promise<void> {
  switch (command) {
    case PIN_TA_COMMAND.PROVISION_PEK:
      return Promise.resolve(provisionPek(o, params));
    case PIN_TA_COMMAND.ENTER_PIN:
      return enterPin(o, params, signal);
    case PIN_TA_COMMAND.STATUS:
      return Promise.resolve(status(o, params));
    default:
      return Promise.reject(new TaError(TEEC_RESULT.ERROR_NOT_SUPPORTED, `no command ${command}`));
  }
}

function kbpkOf(o: PinTaOptions): Uint8Array {
  const identity = o.storage.read('identity');
  if (identity === undefined) throw new TaError(TEEC_RESULT.ERROR_BAD_STATE, 'this TEE was not manufactured');
  return fromHex(identity.kbpk);
}

/** Opens a PEK block under the KBPK and checks its header: P0, AES, encrypt allowed. The caller wipes the key. */
function openPek(kbpk: Uint8Array, block: string): { key: Uint8Array; kcv: Uint8Array } {
  let unwrapped;
  try {
    unwrapped = unwrapKeyBlock(kbpk, block);
  } catch {
    throw new TaError(TEEC_RESULT.ERROR_SECURITY, 'the PEK block does not open under this TEE\'s KBPK');
  }
  const h = unwrapped.header;
  // X9.143 §6.3: P0 = PIN encryption key, A = AES; mode B (both) or E (encrypt only) lets the TA encrypt
  if (h.usage !== 'P0' || h.algorithm !== 'A' || (h.modeOfUse !== 'B' && h.modeOfUse !== 'E')) {
    unwrapped.wipe();
    throw new TaError(TEEC_RESULT.ERROR_SECURITY, 'the key block is not an AES PIN encryption key');
  }
  const key = unwrapped.key.slice();
  unwrapped.wipe();
  return { key, kcv: kcv(key, 'aes-cmac') };
}

function provisionPek(o: PinTaOptions, params: readonly TaParam[]): void {
  expectTypes(params, [IN, IN, OUT]);
  const pinKey = text(params[0]!, MAX_KEY_ID, /^[\x21-\x7e]+$/, 'pinKey');
  const block = text(params[1]!, MAX_BLOCK, /^[0-9A-Z]+$/, 'PEK block');
  const kbpk = kbpkOf(o);
  try {
    const pek = openPek(kbpk, block);
    wipe(pek.key);
    o.storage.write('pek', { pinKey, block });
    params[2]!.data = pek.kcv;
  } finally {
    wipe(kbpk);
  }
}

async function enterPin(o: PinTaOptions, params: readonly TaParam[], signal: AbortSignal): Promise<void> {
  expectTypes(params, [IN, IN, OUT, OUT]);
  const pan = text(params[0]!, 19, /^[0-9]{12,19}$/, 'PAN');
  const prompt = text(params[1]!, MAX_PROMPT, /^[\x20-\x7e]+$/, 'prompt');
  if (params[2]!.capacity < 16) throw new TaError(TEEC_RESULT.ERROR_SHORT_BUFFER, 'the PIN block needs 16 bytes');
  const stored = o.storage.read('pek');
  if (stored === undefined) throw new TaError(TEEC_RESULT.ERROR_BAD_STATE, 'no PIN encryption key provisioned');
  const pin = await o.input.readPin(prompt, signal);
  // ISO 9564-1 §9.4: 4 to 12 digits
  if (!/^[0-9]{4,12}$/.test(pin)) throw new TaError(TEEC_RESULT.ERROR_BAD_FORMAT, 'a PIN is 4 to 12 digits');
  const kbpk = kbpkOf(o);
  let pek: { key: Uint8Array } | undefined;
  try {
    pek = openPek(kbpk, stored.block);
    params[2]!.data = encipherPinBlockIso4(pek.key, pin, pan);
    params[3]!.data = new TextEncoder().encode(stored.pinKey);
  } finally {
    wipe(kbpk);
    if (pek !== undefined) wipe(pek.key);
  }
}

function status(o: PinTaOptions, params: readonly TaParam[]): void {
  expectTypes(params, [VOUT, OUT]);
  const identity = o.storage.read('identity');
  params[0]!.a = o.storage.read('pek') === undefined ? 0 : 1;
  params[0]!.b = 0;
  params[1]!.data = new TextEncoder().encode(identity?.teeId ?? '');
}

/** The KCV of a PEK block under a KBPK, hex — for tests that check what a TEE would accept. */
export function pekBlockKcv(kbpk: Uint8Array, block: string): string {
  const pek = openPek(kbpk, block);
  wipe(pek.key);
  return toHex(pek.kcv);
}
