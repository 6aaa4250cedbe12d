/**
 * Field-level protection (src/tsm/protection) on the PKCS#11 backend (SoftHSM2): record keys are
 * transient token objects, fields seal and open, the wrong aad is refused, destroying the record
 * key (no custodians) makes the field unrecoverable, and the job payload cipher round-trips.
 * Runs under `npm run test:services` (OPENTSM_SERVICES=1); skipped under a plain `npm test`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryAuditSink, Pkcs11Hsm, type OperationContext } from '../../src/hsm/index.ts';
import { HsmPayloadCipher, RecordProtection, TsmError } from '../../src/tsm/index.ts';
import { TEST_SCRYPT } from '../hsm/software-setup.ts';
import { createSoftHsmToken, missingPkcs11Prerequisites, type SoftHsmToken } from './helpers/softhsm.ts';

const enabled = process.env.OPENTSM_SERVICES === '1';
const skip = enabled ? false : 'needs SoftHSM2 and pkcs11js: run `npm run test:services`';
const missing = enabled ? await missingPkcs11Prerequisites() : undefined;
const ctx: OperationContext = { tenant: 'bank-a', actor: 'test' };
const PAN = new TextEncoder().encode('5413330089010434');

describe('tsm/protection on the PKCS#11 backend (SoftHSM2)', { skip, timeout: 120_000 }, () => {
  let token: SoftHsmToken | undefined;
  let hsm: Pkcs11Hsm | undefined;

  it('SoftHSM2 and the pkcs11js binding are installed', () => {
    assert.equal(missing, undefined, `the PKCS#11 services test cannot run: ${missing}`);
  });
  if (missing !== undefined) return;

  before(async () => {
    token = createSoftHsmToken('opentsm-protection');
    hsm = await Pkcs11Hsm.open({ module: token.module, tokenLabel: token.label, pin: { value: token.pin }, audit: new MemoryAuditSink(), scrypt: TEST_SCRYPT });
  });
  after(() => {
    hsm?.close();
    token?.remove();
  });

  it('seals and opens under a transient record key; wrong aad refused; destroyed key: unrecoverable', async () => {
    const fields = new RecordProtection(hsm!);
    const key = await fields.createRecordKey(ctx, 'instance 1');
    assert.equal((await hsm!.getKey(key, ctx)).attributes.class, 'transient');
    const sealed = await fields.sealField(ctx, key, PAN, 'instance/1/pan');
    assert.deepEqual(await fields.openField(ctx, key, sealed, 'instance/1/pan'), PAN);
    await assert.rejects(fields.openField(ctx, key, sealed, 'instance/2/pan'), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE');
    assert.match(await fields.keyedIndex(ctx, '5413330089010434'), /^[0-9A-F]{64}$/i);
    await fields.destroyRecordKey(ctx, key);
    await assert.rejects(fields.openField(ctx, key, sealed, 'instance/1/pan'), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE' && /unrecoverable/.test(e.message));
  });

  it('HsmPayloadCipher round-trips and discards', async () => {
    const cipher = new HsmPayloadCipher(hsm!);
    const sealed = await cipher.seal(PAN, 'bank-a');
    assert.deepEqual(await cipher.open(sealed, 'bank-a'), PAN);
    await cipher.discard(sealed, 'bank-a');
    await assert.rejects(cipher.open(sealed, 'bank-a'), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE');
  });
});
