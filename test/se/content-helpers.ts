/**
 * Plumbing for the card content management tests: the GPPro test CAP, cards with crafted Security
 * Domains, an SCP03 session over the in-process transport, and assertions that a refused command
 * left the card state byte-identical.
 */
import assert from 'node:assert/strict';
import { fromHex } from '../../src/bytes/index.ts';
import { commandApdu, encodeCommand, parseResponse, type CommandApdu, type ResponseApdu } from '../../src/apdu/index.ts';
import {
  GpError,
  CAP_LOAD_ORDER,
  KEY_TYPES,
  SECURITY_DOMAIN_LIFECYCLE,
  buildLoadCommands,
  buildLoadFile,
  buildSelect,
  encodePrivileges,
  openScp03,
  parseCapFile,
  plainScp03Keys,
  splitGpChain,
  type DapBlock,
  type PrivilegeName,
  type SecureChannelSession,
} from '../../src/gp/index.ts';
import {
  MemoryCardStore,
  STRICT_ESE,
  VirtualSecureElement,
  encodeCardState,
  scpKeySet,
  type AppletLibrary,
  type ApplicationState,
  type CardProfile,
  type CardState,
  type KeySetState,
} from '../../src/se/index.ts';
import { loadVectors } from '../helpers/vectors.ts';
import { splitComponents, zipCap } from '../gp/cm/helpers.ts';
import { CardPortTransport, ISD_KEYS, testCardState } from './helpers.ts';

export const ISD = fromHex('A000000151000000');
export const SD_PACKAGE = fromHex('A0000001515350');
export const SD_MODULE = fromHex('A000000151535041');

const vector = loadVectors<{ vectors: { id: string; code_hex: string }[] }>('gp/misc.json').vectors.find((v) => v.id === 'gppro-cap-lfdb')!;
/** The GPPro test CAP `Empty_0102030405_8d5ac9e2_2.2.1.cap`, read as test/gp/cm/cap.test.ts does. */
export const CAP = parseCapFile(zipCap(splitComponents(fromHex(vector.code_hex))));
export const PACKAGE = CAP.packageAid; // 0102030405
export const APPLET = CAP.appletAids[0]!; // 0102030405060708

/** SCP03 keys of crafted Security Domains (distinct from the ISD's so a mix-up cannot pass). */
export const SSD_KEYS = {
  kvn: 0x31,
  enc: fromHex('707172737475767778797A7B7C7D7E7F'),
  mac: fromHex('808182838485868788898A8B8C8D8E8F'),
  dek: fromHex('909192939495969798999A9B9C9D9E9F'),
};

/** A Security Domain registry entry to put into a crafted card state. */
export function sdEntry(
  aid: Uint8Array,
  privileges: readonly PrivilegeName[],
  options: { parent?: Uint8Array; lifecycle?: number; keys?: typeof SSD_KEYS | undefined; extraKeySets?: readonly KeySetState[]; profile?: CardProfile } = {},
): ApplicationState {
  const profile = options.profile ?? STRICT_ESE;
  const keys = options.keys === undefined ? [] : [scpKeySet(profile, options.keys)];
  return {
    aid,
    loadFileAid: SD_PACKAGE,
    moduleAid: SD_MODULE,
    lifecycle: options.lifecycle ?? SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED,
    privileges: encodePrivileges(privileges),
    sdAid: options.parent ?? ISD,
    implicitSelection: [],
    installParameters: new Uint8Array(0),
    sd: { scp: profile.scp, keySets: [...keys, ...(options.extraKeySets ?? [])], authFailures: 0, kdd: fromHex('11223344556677889900') },
  };
}

/** An RSA or other public key set (KVN '70' token key, '73' DAP key) as PUT KEY stores it: one key, several components. */
export function publicKeySet(kvn: number, components: readonly { type: number; value: Uint8Array }[]): KeySetState {
  const first = components[0]!;
  return { kvn, counter: 0, keys: [{ id: 1, type: first.type, value: first.value, components }] };
}

/** RSA public key components from a JWK (`n`, `e` base64url). */
export function rsaComponents(jwk: { n?: string; e?: string }): { type: number; value: Uint8Array }[] {
  return [
    { type: KEY_TYPES.RSA_PUBLIC_N, value: new Uint8Array(Buffer.from(jwk.n!, 'base64url')) },
    { type: KEY_TYPES.RSA_PUBLIC_E, value: new Uint8Array(Buffer.from(jwk.e!, 'base64url')) },
  ];
}

/** A virtual SE on a memory store; `change` edits the factory state first. */
export function contentCard(options: { change?: (s: CardState) => CardState; profile?: CardProfile; library?: AppletLibrary } = {}): VirtualSecureElement {
  const profile = options.profile ?? STRICT_ESE;
  const state = (options.change ?? ((s) => s))(testCardState(profile));
  return new VirtualSecureElement(new MemoryCardStore(state), { profiles: new Map([[profile.id, profile]]), ...(options.library === undefined ? {} : { library: options.library }) });
}

/** A state with `entries` added to the registry. */
export function withApps(...entries: ApplicationState[]): (s: CardState) => CardState {
  return (s) => ({ ...s, applications: [...s.applications, ...entries] });
}

/** A host session to a Security Domain: SELECT, then SCP03 at `securityLevel` with `keys`. */
export async function openSd(card: VirtualSecureElement, options: { sdAid?: Uint8Array; keys?: typeof ISD_KEYS; securityLevel?: number } = {}): Promise<{ session: SecureChannelSession; transport: CardPortTransport }> {
  const sdAid = options.sdAid ?? ISD;
  const keys = options.keys ?? ISD_KEYS;
  const transport = new CardPortTransport(card);
  const selected = parseResponse(await transport.transmit(encodeCommand(buildSelect(sdAid))));
  assert.equal(selected.sw, 0x9000, 'SELECT of the Security Domain');
  const session = await openScp03(transport, plainScp03Keys({ keyVersion: keys.kvn, enc: keys.enc, mac: keys.mac, dek: keys.dek }), { securityLevel: options.securityLevel ?? 0x03, sdAid });
  return { session, transport };
}

/** INSTALL [for load] is sent by the test; this sends the LOAD commands of a load file in `blockSize` pieces. */
export async function sendLoad(session: SecureChannelSession, lfdb: Uint8Array, options: { blockSize?: number; dapBlocks?: readonly DapBlock[] } = {}): Promise<ResponseApdu> {
  const file = buildLoadFile({ dapBlocks: options.dapBlocks ?? [], lfdb });
  let last: ResponseApdu | undefined;
  for (const command of buildLoadCommands(file, options.blockSize ?? 64)) {
    last = await session.transmit(command);
    if (last.sw !== 0x9000) return last;
  }
  return last!;
}

/**
 * Sends a command as a GP chain (GPC 2.3.1 §11.1.5.1): secure messaging over the whole command
 * (extended length), then cut into pieces of `piece` bytes; every piece but the last must get 9000.
 */
export async function sendChained(session: SecureChannelSession, transport: CardPortTransport, command: CommandApdu, piece = 200): Promise<ResponseApdu> {
  const wrapped = session.wrap(commandApdu({ ...command, extended: true }));
  const pieces = splitGpChain(commandApdu({ cla: wrapped.cla, ins: wrapped.ins, p1: wrapped.p1, p2: wrapped.p2, data: wrapped.data, ne: 256 }), piece);
  assert.ok(pieces.length > 1, 'the command is long enough to chain');
  for (const p of pieces.slice(0, -1)) assert.equal(parseResponse(await transport.transmit(encodeCommand(p))).sw, 0x9000, 'intermediate chain piece');
  return session.unwrap(parseResponse(await transport.transmit(encodeCommand(pieces.at(-1)!))));
}

/**
 * The status word the card answers to `command`. The host session ends itself on 6982 (a security
 * error, GPC Amd D §5.6) and reports it as a GpError carrying the status word.
 */
export async function swOf(session: SecureChannelSession, command: CommandApdu): Promise<number> {
  try {
    return (await session.transmit(command)).sw;
  } catch (e) {
    if (e instanceof GpError && e.sw !== undefined) return e.sw;
    throw e;
  }
}

/** Sends `command` and checks the card answered `sw` and that its committed state did not change at all. */
export async function refused(card: VirtualSecureElement, session: SecureChannelSession, command: CommandApdu, sw: number, what: string): Promise<void> {
  const before = encodeCardState(card.state);
  assert.equal((await swOf(session, command)).toString(16).toUpperCase(), sw.toString(16).toUpperCase(), what);
  assert.equal(encodeCardState(card.state), before, `${what}: the refused command changed the card state`);
  assert.equal(card.stats.internalErrors, 0, `${what}: internal error ${String(card.stats.lastInternalError)}`);
}

/**
 * A variant of the test CAP's Load File Data Block: another package AID (5 bytes), another applet
 * AID (8 bytes), and optionally one more imported package (JCVM 2.2 §6.4–6.6 layouts).
 */
export function capVariant(options: { packageAid: Uint8Array; appletAid: Uint8Array; importAid?: Uint8Array }): Uint8Array {
  assert.equal(options.packageAid.length, 5);
  assert.equal(options.appletAid.length, 8);
  const parts = splitComponents(CAP.loadFileDataBlock);
  const header = parts.get('Header')!.slice();
  header.set(options.packageAid, header.length - 5);
  parts.set('Header', header);
  const applet = parts.get('Applet')!.slice();
  applet.set(options.appletAid, 5); // tag, size(2), count, AID length, AID
  parts.set('Applet', applet);
  if (options.importAid !== undefined) {
    const old = parts.get('Import')!;
    const entry = Uint8Array.of(0x00, 0x01, options.importAid.length, ...options.importAid);
    const info = Uint8Array.of(old[3]! + 1, ...old.subarray(4), ...entry);
    parts.set('Import', Uint8Array.of(0x04, info.length >> 8, info.length & 0xff, ...info));
  }
  return Uint8Array.from(CAP_LOAD_ORDER.flatMap(([name]) => [...(parts.get(name) ?? [])]));
}
