/**
 * The TEE as its own process (startTee forks tee-process.ts under tsx): a manufactured TEE serves
 * the PIN TA on a Unix socket (and on 127.0.0.1 TCP); the PIN typed on the platform's touchscreen
 * comes back only as a format 4 block under the provisioned PEK; the process stops cleanly.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unwrapKeyBlock } from '../../../src/crypto/index.ts';
import { decipherPinBlockIso4 } from '../../../src/emv/index.ts';
import { DeviceError, TEEC_RESULT, TeePinPad, manufactureTee, startTee } from '../../../src/device/index.ts';
import { KIF_KEK, TEST_PEK, pekBlock } from './fixture.ts';

const PAN = '4761730000000028';

describe('the TEE process', { timeout: 60_000 }, () => {
  for (const tcp of [false, true]) {
    it(`boots, provisions a PEK, turns a typed PIN into a format 4 block, stops (${tcp ? 'TCP' : 'Unix socket'})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'opentsm-tee-proc-'));
      const storageDir = join(dir, 'tee');
      const made = manufactureTee({ storageDir, kifKek: KIF_KEK });
      assert.match(made.teeId, /^tee-/);
      assert.throws(() => manufactureTee({ storageDir, kifKek: KIF_KEK }), (e: unknown) => e instanceof DeviceError && e.teecResult === TEEC_RESULT.ERROR_BAD_STATE);
      assert.equal(statSync(join(storageDir, 'identity.json')).mode & 0o077, 0, 'secure storage is private to its owner');
      const kbpk = unwrapKeyBlock(KIF_KEK, made.kbpkBlock);
      assert.equal(kbpk.kcv, made.kbpkKcv);
      const tee = await startTee({ storageDir, tcp, pinTimeoutMs: 10_000 });
      try {
        if (tcp) assert.match(tee.endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/);
        const pad = await TeePinPad.open(tee.endpoint);
        try {
          assert.deepEqual(await pad.status(), { provisioned: false, teeId: made.teeId });
          await pad.provisionPek('pek-proc', pekBlock(kbpk.key));
          const entry = pad.encryptedPinBlock(PAN, 'Choose a PIN');
          assert.equal(await tee.touchscreen.nextPrompt(), 'Choose a PIN');
          tee.touchscreen.enter('48213907');
          const got = await entry;
          assert.equal(got.pinKey, 'pek-proc');
          assert.equal(decipherPinBlockIso4(TEST_PEK, got.block, PAN), '48213907');
        } finally {
          await pad.close();
        }
      } finally {
        await tee.stop();
        kbpk.wipe();
      }
      assert.deepEqual(readdirSync(storageDir).sort(), ['identity.json', 'pek.json']);
      rmSync(dir, { recursive: true, force: true });
    });
  }
});
