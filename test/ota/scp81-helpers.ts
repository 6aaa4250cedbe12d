/** Shared fixtures of the SCP81 tests: keys, identities, a dialog-backed admin server, a scripted card. */
import { fromHex, toHex } from '../../src/bytes/index.ts';
import {
  MemoryPskStore,
  OtaError,
  ScriptDialog,
  startAdminServer,
  type AdminScript,
  type AdminServer,
  type AdminServerOptions,
  type ScriptReport,
} from '../../src/ota/index.ts';

export const IDENTITY = 'scp81-se-0001';
export const KEY = fromHex('404142434445464748494A4B4C4D4E4F');
export const OTHER_KEY = fromHex('505152535455565758595A5B5C5D5E5F');
export const AGENT_ID = '//se-id/eid/89049032123451234512345678901235;//aa-id/aid/A000000151/000000';

/** Two expanded-format command scripts (ETSI TS 102 226): GET DATA FF21 and GET STATUS ISD, indefinite length. */
export const SCRIPTS = [fromHex('AE80220580CAFF21000000'), fromHex('AE802207' + '80F28000024F00' + '0000')];

/** The response a scripted card gives to a script: number of executed commands 1, R-APDU 9000. */
export function responseFor(script: Uint8Array): Uint8Array {
  return fromHex('AF80' + '800101' + '2302' + '9000' + '0000' + toHex(script.subarray(4, 6)));
}

/** A card that records what it ran and answers `ok`. */
export function scriptedCard(): { executed: string[]; execute: (s: AdminScript) => ScriptReport } {
  const executed: string[] = [];
  return {
    executed,
    execute: (s) => {
      executed.push(toHex(s.body));
      return { status: 'ok', body: responseFor(s.body) };
    },
  };
}

export interface TestServer {
  readonly server: AdminServer;
  readonly store: MemoryPskStore;
  readonly dialog: ScriptDialog;
  readonly errors: OtaError[];
  /** The URI of every POST the server answered, in order. */
  readonly posts: string[];
}

/** Whose PSK the server holds and how its dialog is named (defaults: IDENTITY, KEY, '/scp81/s/7f3a', no target). */
export interface DialogParty {
  readonly identity?: string;
  readonly key?: Uint8Array;
  readonly base?: string;
  readonly targetedApplication?: Uint8Array;
}

/** An admin server on loopback whose one dialog hands out `scripts` to one PSK identity. */
export async function dialogServer(
  scripts: readonly Uint8Array[] = SCRIPTS,
  extra: Partial<AdminServerOptions> = {},
  party: DialogParty = {},
): Promise<TestServer> {
  const identity = party.identity ?? IDENTITY;
  const store = new MemoryPskStore();
  store.put(identity, party.key ?? KEY, 60_000);
  const dialog = new ScriptDialog({ base: party.base ?? '/scp81/s/7f3a', scripts, ...(party.targetedApplication === undefined ? {} : { targetedApplication: party.targetedApplication }) });
  const errors: OtaError[] = [];
  const posts: string[] = [];
  const server = await startAdminServer({
    psk: store,
    identityHint: 'opentsm-scp81',
    adminPath: '/scp81',
    handle: (post, peer) => {
      posts.push(post.uri);
      if (peer.identity !== identity) throw new OtaError('ERR_OTA_ADMIN', 'no session for this identity');
      return dialog.answer(post);
    },
    onError: (e) => errors.push(e),
    ...extra,
  });
  return { server, store, dialog, errors, posts };
}

/** Waits until `done()` holds (the server side reports after the client has its answer), at most `ms`. */
export async function until(done: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
}
