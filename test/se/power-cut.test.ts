/**
 * Power cut at every step of an install (issue "virtual Secure Element": a power cut in the middle
 * of any command leaves the old or the new state, never half).
 *
 * A reference run records an install — SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, INSTALL
 * [for load], LOAD blocks, INSTALL [for install and make selectable] — as raw command bytes, and the
 * committed state after each command. Because SCP03 i=70 challenges are pseudo-random, replaying the
 * same bytes to a card in the same state is deterministic. Then, for every command and every
 * file-system call its state save makes (open, each write, fsync, close, rename, directory fsync),
 * the replay cuts power there: the call throws and, for a write, only half the bytes reach the disk.
 * The card object is then dropped, a new one is loaded from the file, and the test checks that its
 * state is exactly the state before or after that command, and that the card still works: it opens
 * a new secure channel and the install, resumed from what the card holds, completes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCommand, parseResponse } from '../../src/apdu/index.ts';
import { buildInstall, buildLoadCommands, buildLoadFile, buildSelect, encodePrivileges, openScp03, plainScp03Keys } from '../../src/gp/index.ts';
import { FileCardStore, VirtualSecureElement, encodeCardState, type CardFs } from '../../src/se/index.ts';
import { APPLET, CAP, ISD, PACKAGE } from './content-helpers.ts';
import { CardPortTransport, ISD_KEYS, testCardState } from './helpers.ts';

const INSTANCE = Uint8Array.of(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x01);
const HOST_KEYS = { keyVersion: ISD_KEYS.kvn, enc: ISD_KEYS.enc, mac: ISD_KEYS.mac, dek: ISD_KEYS.dek };
const C9_EMPTY = Uint8Array.of(0xc9, 0x00);

class PowerCut extends Error {}

/**
 * Real fs calls; once armed, the `cutAt`-th call (0-based) fails as a power cut would (a write
 * leaves half its bytes on disk first).
 */
function fsCuttingAt(cutAt: number): CardFs & { readonly calls: number; arm(): void } {
  let calls = 0;
  let armed = false;
  const step = <T>(fn: () => T, partial?: () => void): T => {
    if (armed && calls++ === cutAt) {
      partial?.();
      throw new PowerCut(`power cut at fs call ${cutAt}`);
    }
    return fn();
  };
  return {
    get calls() {
      return calls;
    },
    arm() {
      armed = true;
    },
    openSync: (path, flags, mode) => step(() => openSync(path, flags, mode)),
    writeSync: (fd, data) => step(() => writeSync(fd, data), () => void writeSync(fd, data.subarray(0, data.length >> 1))),
    fsyncSync: (fd) => step(() => fsyncSync(fd)),
    closeSync: (fd) => step(() => closeSync(fd)),
    renameSync: (a, b) => step(() => renameSync(a, b)),
    readFileSync: (path, encoding) => readFileSync(path, encoding),
    unlinkSync: (path) => step(() => unlinkSync(path)),
  };
}

/**
 * The install as a host would run it (LOAD skipped when the load file is already on the card, as a
 * TSM resuming a job checks first); returns the command bytes sent.
 */
async function install(card: VirtualSecureElement): Promise<Uint8Array[]> {
  const loaded = card.state.loadFiles.some((f) => f.aid.length === PACKAGE.length && f.aid.every((b, i) => b === PACKAGE[i]));
  const transport = new CardPortTransport(card);
  await transport.transmit(encodeCommand(buildSelect(ISD)));
  const session = await openScp03(transport, plainScp03Keys(HOST_KEYS), { securityLevel: 0x03, sdAid: ISD, hostChallenge: new Uint8Array(8).fill(0x5a) });
  const ok = (sw: number, what: string) => assert.equal(sw.toString(16), '9000', what);
  if (!loaded) {
    ok((await session.transmit(buildInstall({ kind: 'load', loadFileAid: PACKAGE, lfdbHash: CAP.lfdbSha256 }))).sw, 'INSTALL [for load]');
    for (const command of buildLoadCommands(buildLoadFile({ dapBlocks: [], lfdb: CAP.loadFileDataBlock }), 100)) ok((await session.transmit(command)).sw, 'LOAD');
  }
  const installCommand = buildInstall({ kind: 'install', loadFileAid: PACKAGE, moduleAid: APPLET, applicationAid: INSTANCE, privileges: encodePrivileges([]), parameters: C9_EMPTY, makeSelectable: true });
  ok((await session.transmit(installCommand)).sw, 'INSTALL [for install and make selectable]');
  session.close();
  return transport.log.map((x) => x.command);
}

describe('power cut at every step of an install', () => {
  it('leaves the old or the new state, and the card works afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opentsm-powercut-'));
    try {
      const path = join(dir, 'card.json');
      const fresh = () => new FileCardStore(path).save(testCardState());
      // reference run: the command bytes and the committed state after each command
      fresh();
      const reference = new VirtualSecureElement(new FileCardStore(path));
      const commands = await install(reference);
      fresh();
      const replay = new VirtualSecureElement(new FileCardStore(path));
      const states = [encodeCardState(replay.state)];
      for (const c of commands) {
        replay.process(c);
        states.push(encodeCardState(replay.state));
      }
      assert.equal(states.at(-1), encodeCardState(reference.state), 'the replay is deterministic');
      let cuts = 0;
      for (let k = 0; k < commands.length; k++) {
        if (states[k] === states[k + 1]) continue; // this command writes nothing: no save to cut
        for (let cutAt = 0; ; cutAt++) {
          fresh();
          // commands 0..k−1 on the real fs bring the card to its persistent and volatile state before k
          const fs = fsCuttingAt(cutAt);
          const dying = new VirtualSecureElement(new FileCardStore(path, fs));
          for (const c of commands.slice(0, k)) dying.process(c);
          fs.arm();
          const sw = parseResponse(dying.process(commands[k]!)).sw;
          if (fs.calls <= cutAt) break; // the save finished before the cut point: every step was covered
          cuts++;
          assert.equal(sw, 0x6581, `command ${k}, cut at fs call ${cutAt}: the card reports a memory failure`);
          const revived = new VirtualSecureElement(new FileCardStore(path));
          const after = encodeCardState(revived.state);
          assert.ok(after === states[k] || after === states[k + 1], `command ${k}, cut at fs call ${cutAt}: the state is neither the old nor the new one`);
          // the card still works: a new session, and the whole install again from the start
          if (after === states[commands.length]) continue; // already installed
          const transport = new CardPortTransport(revived);
          await transport.transmit(encodeCommand(buildSelect(ISD)));
          const session = await openScp03(transport, plainScp03Keys(HOST_KEYS), { securityLevel: 0x01, sdAid: ISD });
          session.close();
          await install(revived);
          assert.ok(revived.state.applications.some((a) => a.aid.length === INSTANCE.length && a.aid.every((b, i) => b === INSTANCE[i])), 'the resumed install completed');
          assert.equal(revived.stats.internalErrors, 0);
        }
      }
      assert.ok(cuts >= 10, `only ${cuts} cut points exercised`);
      console.log(`# ${cuts} power cuts across ${commands.length} commands`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

