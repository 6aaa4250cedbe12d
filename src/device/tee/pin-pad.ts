/**
 * The wallet's PIN pad over the TEE: it asks the PIN TA for a PIN block and gets only the block
 * (ISO 9564-1 format 4, AES) and the issuer's id of the key it is under. The PIN goes from the
 * trusted input to the TA; it never crosses the TEE Client API endpoint, so the wallet never holds it.
 */
import { DeviceError } from '../errors.ts';
import { TeecContext, TeecOperation, teecMemref, teecValue, type TeecSession } from './client-api.ts';
import { PIN_TA_COMMAND, PIN_TA_UUID } from './pin-ta.ts';
import { TEEC_LOGIN, TEEC_PARAM } from './teec.ts';

/** What the wallet gets: the key id, the format and the enciphered block (16 bytes). */
export interface TeePinBlock {
  readonly pinKey: string;
  readonly format: 4;
  readonly block: Uint8Array;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const MAX_KEY_ID = 128;

/**
 * A session with the PIN TA.
 * @example const pad = await TeePinPad.open(endpoint); const { pinKey, block } = await pad.encryptedPinBlock(pan)
 */
export class TeePinPad {
  readonly #context: TeecContext;
  readonly #session: TeecSession;
  #running: TeecOperation | undefined;

  private constructor(context: TeecContext, session: TeecSession) {
    this.#context = context;
    this.#session = session;
  }

  /** Connects to the TEE at `endpoint` and opens a session with the PIN TA. */
  static async open(endpoint: string): Promise<TeePinPad> {
    const context = await TeecContext.initialize(endpoint);
    try {
      return new TeePinPad(context, await context.openSession(PIN_TA_UUID, TEEC_LOGIN.APPLICATION));
    } catch (e) {
      await context.finalize();
      throw e;
    }
  }

  /** PROVISION_PEK: hands the TA the issuer's TR-31 PEK block; returns the PEK's KCV (hex). */
  async provisionPek(pinKey: string, keyBlock: string): Promise<string> {
    const kcv = teecMemref(TEEC_PARAM.MEMREF_TEMP_OUTPUT, new Uint8Array(16));
    await this.#session.invokeCommand(PIN_TA_COMMAND.PROVISION_PEK, new TeecOperation([
      teecMemref(TEEC_PARAM.MEMREF_TEMP_INPUT, utf8(pinKey)), teecMemref(TEEC_PARAM.MEMREF_TEMP_INPUT, utf8(keyBlock)), kcv,
    ]));
    return Array.from(kcv.buffer.subarray(0, kcv.size), (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  }

  /**
   * ENTER_PIN: the TEE shows `prompt` on its trusted UI; the user types the PIN there. Fails with
   * ERR_DEVICE_TEE: CANCEL (the user or {@link cancel}), TIMEOUT, BAD_STATE (no PEK yet).
   */
  async encryptedPinBlock(pan: string, prompt = 'Enter your new PIN'): Promise<TeePinBlock> {
    if (typeof pan !== 'string' || !/^[0-9]{12,19}$/.test(pan)) throw new DeviceError('ERR_DEVICE_PARAM', 'PAN: 12 to 19 digits');
    const block = teecMemref(TEEC_PARAM.MEMREF_TEMP_OUTPUT, new Uint8Array(16));
    const keyId = teecMemref(TEEC_PARAM.MEMREF_TEMP_OUTPUT, new Uint8Array(MAX_KEY_ID));
    const op = new TeecOperation([teecMemref(TEEC_PARAM.MEMREF_TEMP_INPUT, utf8(pan)), teecMemref(TEEC_PARAM.MEMREF_TEMP_INPUT, utf8(prompt)), block, keyId]);
    this.#running = op;
    try {
      await this.#session.invokeCommand(PIN_TA_COMMAND.ENTER_PIN, op);
    } finally {
      this.#running = undefined;
    }
    return { pinKey: new TextDecoder().decode(keyId.buffer.subarray(0, keyId.size)), format: 4, block: block.buffer.slice(0, block.size) };
  }

  /** STATUS: whether a PEK is provisioned, and the TEE's id. */
  async status(): Promise<{ readonly provisioned: boolean; readonly teeId: string }> {
    const flag = teecValue(TEEC_PARAM.VALUE_OUTPUT);
    const id = teecMemref(TEEC_PARAM.MEMREF_TEMP_OUTPUT, new Uint8Array(64));
    await this.#session.invokeCommand(PIN_TA_COMMAND.STATUS, new TeecOperation([flag, id]));
    return { provisioned: flag.a === 1, teeId: new TextDecoder().decode(id.buffer.subarray(0, id.size)) };
  }

  /** TEEC_RequestCancellation of a running PIN entry (no-op when none runs). */
  cancel(): void {
    if (this.#running !== undefined) this.#context.requestCancellation(this.#running);
  }

  /** Closes the session and the context. */
  async close(): Promise<void> {
    await this.#session.close();
    await this.#context.finalize();
  }
}
