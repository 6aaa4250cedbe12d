/**
 * Shared plumbing for the PUT KEY / STORE DATA / SET STATUS / GET STATUS tests: cards with a
 * registry built directly in their state, host sessions over the in-process transport, and key
 * wrappers that encrypt under the session's DEK the way a TSM's HSM would.
 */
import assert from 'node:assert/strict';
import { concat, fromHex } from '../../src/bytes/index.ts';
import { encodeCommand, parseResponse, type CommandApdu, type ResponseApdu } from '../../src/apdu/index.ts';
import { kcv } from '../../src/crypto/index.ts';
import {
  APPLICATION_LIFECYCLE,
  KEY_TYPES,
  SECURITY_DOMAIN_LIFECYCLE,
  buildSelect,
  encodePrivileges,
  openScp02,
  openScp03,
  plainScp02Keys,
  plainScp03Keys,
  type KeyWrapper,
  type PrivilegeName,
  type SecureChannelSession,
} from '../../src/gp/index.ts';
import {
  MemoryCardStore,
  PROFILES,
  SD_LOAD_FILE_AID,
  SD_MODULE_AID,
  STRICT_ESE,
  VirtualSecureElement,
  encodeCardState,
  newCardState,
  scpKeySet,
  type AppletLibrary,
  type ApplicationState,
  type CardProfile,
  type KeySetInput,
  type LoadFileState,
} from '../../src/se/index.ts';
import { CardPortTransport, ISD_KEYS, TEST_CPLC } from './helpers.ts';

export const ISD = fromHex('A000000151000000');
export const KDD = fromHex('00010203040506070809');

/** Options of {@link keysCard}. */
export interface KeysCardOptions {
  readonly profile?: CardProfile;
  readonly lifecycle?: number;
  readonly preloaded?: readonly LoadFileState[];
  readonly preinstalled?: readonly ApplicationState[];
  readonly library?: AppletLibrary;
}

/** A virtual SE whose registry is built in its initial state (INSTALL is not needed to set it up). */
export function keysCard(options: KeysCardOptions = {}): VirtualSecureElement {
  const profile = options.profile ?? STRICT_ESE;
  const state = newCardState({
    profile,
    isdKeys: ISD_KEYS,
    cplc: TEST_CPLC,
    kdd: KDD,
    iin: fromHex('42'),
    cin: fromHex('45'),
    ...(options.lifecycle === undefined ? {} : { lifecycle: options.lifecycle }),
    preloaded: options.preloaded ?? [],
    preinstalled: options.preinstalled ?? [],
  });
  const profiles = new Map(PROFILES).set(profile.id, profile);
  return new VirtualSecureElement(new MemoryCardStore(state), { profiles, ...(options.library === undefined ? {} : { library: options.library }) });
}

/** What a refused command must leave behind: exactly the committed state it found. */
export function snapshot(card: VirtualSecureElement): string {
  return encodeCardState(card.state);
}

/** A load file associated with `sdAid`. */
export function loadFile(aid: string, sdAid: Uint8Array, modules: readonly string[] = [], version?: string): LoadFileState {
  return { aid: fromHex(aid), sdAid, modules: modules.map((m) => ({ aid: fromHex(m) })), size: 0, version: version === undefined ? undefined : fromHex(version) };
}

/** An application instance (SELECTABLE unless told) associated with `sdAid`. */
export function application(aid: string, sdAid: Uint8Array, options: { loadFile?: string; module?: string; lifecycle?: number; privileges?: PrivilegeName[] } = {}): ApplicationState {
  return {
    aid: fromHex(aid),
    loadFileAid: fromHex(options.loadFile ?? 'A0000000041010'),
    moduleAid: fromHex(options.module ?? 'A000000004101001'),
    lifecycle: options.lifecycle ?? APPLICATION_LIFECYCLE.SELECTABLE,
    privileges: encodePrivileges(options.privileges ?? []),
    sdAid,
    implicitSelection: [],
    installParameters: new Uint8Array(0),
  };
}

/** A Supplementary Security Domain (SELECTABLE unless told), with the given key sets (none: a fresh SSD). */
export function ssd(aid: string, sdAid: Uint8Array, options: { keys?: readonly KeySetInput[]; lifecycle?: number; privileges?: PrivilegeName[]; profile?: CardProfile } = {}): ApplicationState {
  const profile = options.profile ?? STRICT_ESE;
  return {
    aid: fromHex(aid),
    loadFileAid: SD_LOAD_FILE_AID,
    moduleAid: SD_MODULE_AID,
    lifecycle: options.lifecycle ?? SECURITY_DOMAIN_LIFECYCLE.SELECTABLE,
    privileges: encodePrivileges(options.privileges ?? ['SecurityDomain', 'TrustedPath', 'AuthorizedManagement']),
    sdAid,
    implicitSelection: [],
    installParameters: new Uint8Array(0),
    sd: { scp: profile.scp, keySets: (options.keys ?? []).map((k) => scpKeySet(profile, k)), authFailures: 0, kdd: KDD },
  };
}

/** Host keys of a key set. */
export function hostKeys(keys: KeySetInput) {
  return { keyVersion: keys.kvn, enc: keys.enc, mac: keys.mac, dek: keys.dek };
}

/** An open host session to the SD `sdAid` (selected first) with `keys`, at `level`, in the card's SCP. */
export async function openSd(
  card: VirtualSecureElement,
  options: { level: number; keys?: KeySetInput; sdAid?: Uint8Array; transport?: CardPortTransport } = { level: 0x01 },
): Promise<{ session: SecureChannelSession; transport: CardPortTransport }> {
  const transport = options.transport ?? new CardPortTransport(card);
  const sdAid = options.sdAid ?? card.state.isdAid;
  const select = parseResponse(await transport.transmit(encodeCommand(buildSelect(sdAid))));
  assert.equal(select.sw, 0x9000, 'SELECT of the Security Domain');
  const keys = hostKeys(options.keys ?? ISD_KEYS);
  const scp = card.profile.scp;
  const session =
    scp.protocol === 3
      ? await openScp03(transport, plainScp03Keys(keys), { securityLevel: options.level, sdAid })
      : await openScp02(transport, plainScp02Keys(keys), { securityLevel: options.level, i: scp.i, sdAid });
  return { session, transport };
}

/** Pads a clear key with zeros to a whole number of cipher blocks (GPC 2.3.1 §11.8.2.3.2: arbitrary bytes). */
function padToBlock(key: Uint8Array, block: number): Uint8Array {
  const length = Math.ceil(key.length / block) * block;
  return length === key.length ? key : concat(key, new Uint8Array(length - key.length));
}

/** Wraps AES keys for PUT KEY under the session's DEK (Amd D v1.1.1 Table 7-10), with their AES KCV. */
export function aesWrapper(session: SecureChannelSession): KeyWrapper<Uint8Array> {
  return async (key) => ({
    type: KEY_TYPES.AES,
    keyLength: key.length,
    ciphertext: await session.encryptSensitive(padToBlock(key, session.scp === 3 ? 16 : 8)),
    kcv: kcv(key, 'aes-ones'),
  });
}

/** Wraps double-length DES keys for PUT KEY under the session's DEK (GPC 2.3.1 Table 11-71), with their DES KCV. */
export function desWrapper(session: SecureChannelSession): KeyWrapper<Uint8Array> {
  return async (key) => ({ type: KEY_TYPES.DES, keyLength: key.length, ciphertext: await session.encryptSensitive(key), kcv: kcv(key, 'tdes-zeros') });
}

/** Distinct recognisable keys: byte `seed`, `seed + 1`, … of `length` bytes. */
export function keyOf(seed: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed + i) & 0xff);
}

/** A key set input with three distinct keys of `length` bytes. */
export function keySet(kvn: number, seed: number, length: number): KeySetInput {
  return { kvn, enc: keyOf(seed, length), mac: keyOf(seed + 0x40, length), dek: keyOf(seed + 0x80, length) };
}

/** Sends raw command bytes outside any session (for commands the host session would refuse to build). */
export async function sendRaw(transport: CardPortTransport, command: CommandApdu): Promise<ResponseApdu> {
  return parseResponse(await transport.transmit(encodeCommand(command)));
}

/** Asserts `promise` fails with a GP error carrying `sw` (what the host session throws on 6982). */
export async function rejectsWithSw(promise: Promise<unknown>, sw: number, message?: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => typeof e === 'object' && e !== null && (e as { sw?: number }).sw === sw, message);
}
