/**
 * The OMAPI tests' world: a real virtual SE (the ARA-M and the PPSE installed, as the factory ships
 * them) behind `virtualSeTerminal`, a terminal that records every command, an optional T=0-style
 * terminal (61xx / 6Cxx, a pending response lost to any other command), and a stub enforcer whose
 * decisions the test sets (a unit test of the enforcer's caller).
 */
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import {
  ARA_M_AID,
  DEFAULT_APPLET_LIBRARY,
  MemoryCardStore,
  PPSE_AID,
  STRICT_ESE,
  VirtualSecureElement,
  araMInstance,
  araMLoadFile,
  newCardState,
  paymentLoadFile,
  ppseInstance,
  type CardProfile,
} from '../../../src/se/index.ts';
import { SEService, type SEServiceOptions } from '../../../src/device/index.ts';
import type { AccessControlEnforcer, AccessDecision, ApduAccess, DeviceApp } from '../../../src/device/access-control/access-decision.ts';
import { channelOfCla, virtualSeTerminal, type SeTerminal } from '../../../src/device/terminal.ts';
import { ISD_KEYS, TEST_CPLC } from '../../se/helpers.ts';

export { ARA_M_AID, PPSE_AID };
export const ISD_AID = fromHex('A000000151000000');
/** GET DATA [Refresh tag] to the ARA-M: `DF20 08 <tag>` 9000 (GP SEAC v1.1). */
export const GET_REFRESH_TAG = fromHex('80CADF2000');
export const WALLET: DeviceApp = Object.freeze({ packageName: 'com.example.wallet', certificates: [fromHex('3003020101')] });

/** A virtual SE with the ARA-M and the PPSE installed (the PPSE LOCKED with `lockedPpse`). */
export function seWithApplets(profile: CardProfile = STRICT_ESE, options: { lockedPpse?: boolean } = {}): VirtualSecureElement {
  const ppse = ppseInstance(profile.isdAid);
  // GPC 2.3.1 Table 11-4: LOCKED is b8 over the application's life cycle state
  const preinstalled = [araMInstance(profile.isdAid), options.lockedPpse === true ? { ...ppse, lifecycle: ppse.lifecycle | 0x80 } : ppse];
  const state = newCardState({
    profile, isdKeys: ISD_KEYS, cplc: TEST_CPLC, kdd: fromHex('00010203040506070809'),
    preloaded: [araMLoadFile(profile.isdAid), paymentLoadFile(profile.isdAid)],
    preinstalled,
  });
  return new VirtualSecureElement(new MemoryCardStore(state), { library: DEFAULT_APPLET_LIBRARY });
}

/** A terminal that logs every command and answer crossing it. */
export class RecordingTerminal implements SeTerminal {
  readonly log: { command: Uint8Array; response: Uint8Array }[] = [];
  constructor(readonly inner: SeTerminal) {}
  get name(): string {
    return this.inner.name;
  }
  isPresent(): boolean {
    return this.inner.isPresent();
  }
  atr(): Uint8Array | undefined {
    return this.inner.atr();
  }
  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const response = await this.inner.transmit(command);
    this.log.push({ command: command.slice(), response: response.slice() });
    return response;
  }
  /** The commands sent, as hex. */
  commands(): string[] {
    return this.log.map((e) => toHex(e.command));
  }
}

/**
 * A T=0-style link: an answer with data comes back as 61xx and must be fetched by GET RESPONSE on
 * the same channel before any other command (any other command loses it: 6985); with `wrongLe`, a
 * case-2 GET DATA with Le 00 first gets 6Cxx. Every transmit yields to the event loop first, so
 * unserialized callers would interleave.
 */
export class T0Terminal implements SeTerminal {
  #pending: { channel: number | undefined; data: Uint8Array } | undefined;
  constructor(readonly inner: SeTerminal, readonly options: { wrongLe?: boolean } = {}) {}
  get name(): string {
    return this.inner.name;
  }
  isPresent(): boolean {
    return this.inner.isPresent();
  }
  atr(): Uint8Array | undefined {
    return this.inner.atr();
  }
  async transmit(command: Uint8Array): Promise<Uint8Array> {
    await new Promise((resolve) => setImmediate(resolve));
    const channel = channelOfCla(command[0]!);
    if (command[1] === 0xc0) {
      const pending = this.#pending;
      this.#pending = undefined;
      if (pending === undefined || pending.channel !== channel) return fromHex('6985');
      const le = command[4] === 0 ? 256 : command[4]!;
      const part = pending.data.subarray(0, le);
      const rest = pending.data.subarray(le);
      if (rest.length > 0) this.#pending = { channel, data: rest.slice() };
      return Uint8Array.from([...part, ...(rest.length > 0 ? [0x61, Math.min(rest.length, 256) & 0xff] : [0x90, 0x00])]);
    }
    this.#pending = undefined;
    const response = await this.inner.transmit(command);
    const data = response.subarray(0, -2);
    const sw = (response[response.length - 2]! << 8) | response[response.length - 1]!;
    if (this.options.wrongLe === true && command.length === 5 && command[1] === 0xca && command[4] === 0 && data.length > 0) {
      return Uint8Array.of(0x6c, data.length & 0xff);
    }
    if (sw !== 0x9000 || data.length === 0) return response;
    // the first 4 bytes come at once, the rest is announced (the card's buffer is small)
    const first = data.subarray(0, 4);
    const rest = data.subarray(4);
    if (rest.length === 0) return response;
    this.#pending = { channel, data: rest.slice() };
    return Uint8Array.from([...first, 0x61, Math.min(rest.length, 256) & 0xff]);
  }
}

/** An enforcer whose decision per AID (hex, or 'default') the test sets; it records what it was asked. */
export class StubEnforcer implements AccessControlEnforcer {
  readonly asked: { terminal: string; aid: string | undefined; app: string }[] = [];
  readonly decisions = new Map<string, ApduAccess>();
  failWith: unknown;
  constructor(readonly fallback: ApduAccess = 'always') {}
  decide(terminal: SeTerminal, aid: Uint8Array | undefined, app: DeviceApp): Promise<AccessDecision> {
    this.asked.push({ terminal: terminal.name, aid: aid === undefined ? undefined : toHex(aid), app: app.packageName });
    if (this.failWith !== undefined) return Promise.reject(this.failWith instanceof Error ? this.failWith : new Error('stub failure'));
    const apdu = this.decisions.get(aid === undefined ? 'default' : toHex(aid)) ?? this.fallback;
    return Promise.resolve({ apdu, nfc: apdu !== 'never', reason: 'stub rule' });
  }
}

/** A connected service over one eSE (`eSE1`) with the applets, recording its commands. */
export async function eseWorld(options: Partial<SEServiceOptions> & { t0?: { wrongLe?: boolean }; profile?: CardProfile; name?: string; present?: () => boolean; lockedPpse?: boolean } = {}) {
  const se = seWithApplets(options.profile, { lockedPpse: options.lockedPpse === true });
  const base = virtualSeTerminal(options.name ?? 'eSE1', se, options.present === undefined ? {} : { present: options.present });
  const terminal = new RecordingTerminal(options.t0 === undefined ? base : new T0Terminal(base, options.t0));
  const enforcer = options.enforcer instanceof StubEnforcer ? options.enforcer : new StubEnforcer();
  const service = new SEService({ terminals: [terminal], enforcer, app: WALLET, ...pick(options) });
  await service.connected;
  return { se, terminal, enforcer, service, reader: service.getReaders()[0]! };
}

function pick(options: Partial<SEServiceOptions>): Partial<SEServiceOptions> {
  return options.uiccBasicChannel === undefined ? {} : { uiccBasicChannel: options.uiccBasicChannel };
}

/** Asserts `promise` (or `fn`) fails with a DeviceError of `code`. */
export async function rejectsWith(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  const run = typeof promise === 'function' ? Promise.resolve().then(promise) : promise;
  await assert.rejects(run, (e: unknown) => {
    assert.equal((e as { code?: unknown }).code, code, String(e));
    return true;
  });
}
