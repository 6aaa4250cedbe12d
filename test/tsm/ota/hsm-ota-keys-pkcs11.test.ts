/**
 * hsmOtaHostKeys on the PKCS#11 backend (a throwaway SoftHSM2 token, research/services.md): the
 * vector suite of hsm-ota-keys-suite.ts unchanged — every pySim and asterix SCP80 command packet
 * (AES; 3DES with two and three keys, the 3DES CC as ISO 9797-1 MAC algorithm 1 with padding
 * method 1 in the token) sealed byte for byte, the pySim PoRs opened.
 * Needs SoftHSM2 and pkcs11js: run with `npm run test:services -- test/tsm/ota/hsm-ota-keys-pkcs11.test.ts`;
 * under OPENTSM_SERVICES=1 a missing prerequisite fails with what to install; under a plain
 * `npm test` this file is skipped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryAuditSink, Pkcs11Hsm, type OperationContext } from '../../../src/hsm/index.ts';
import type { HsmUnderTest } from '../../hsm/conformance/fixture.ts';
import { CUSTODIANS, TEST_SCRYPT } from '../../hsm/software-setup.ts';
import { createSoftHsmToken, missingPkcs11Prerequisites, type SoftHsmToken } from '../../services/helpers/softhsm.ts';
import { hsmOtaKeysSuite } from './hsm-ota-keys-suite.ts';

const enabled = process.env.OPENTSM_SERVICES === '1';
const skip = enabled ? false : 'needs SoftHSM2 and pkcs11js: run `npm run test:services -- test/tsm/ota/hsm-ota-keys-pkcs11.test.ts`';
const missing = enabled ? await missingPkcs11Prerequisites() : undefined;

let token: SoftHsmToken | undefined;
let keeper: Pkcs11Hsm | undefined;
let setups = 0;

function openHsm(audit: MemoryAuditSink): Promise<Pkcs11Hsm> {
  return Pkcs11Hsm.open({ module: token!.module, tokenLabel: token!.label, pin: { value: token!.pin }, audit, scrypt: TEST_SCRYPT });
}

/** A fresh backend instance on the shared token, as its own pair of tenants (keys of earlier tests stay invisible). */
async function pkcs11Setup(): Promise<HsmUnderTest> {
  const n = ++setups;
  const ctx: OperationContext = { tenant: `ota-a-${n}`, actor: 'test', requestId: `req-${n}` };
  const otherCtx: OperationContext = { tenant: `ota-b-${n}`, actor: 'test' };
  const audit = new MemoryAuditSink();
  const hsm = await openHsm(audit);
  await hsm.registerCustodian(CUSTODIANS[0]!, undefined, ctx);
  await hsm.registerCustodian(CUSTODIANS[1]!, CUSTODIANS[0], ctx);
  await hsm.registerCustodian(CUSTODIANS[2]!, CUSTODIANS[1], ctx);
  return { hsm, ctx, otherCtx, custodians: CUSTODIANS, auditEvents: () => audit.events, close: () => hsm.close() };
}

describe('hsmOtaHostKeys on PKCS#11 (SoftHSM2)', { skip, timeout: 300_000 }, () => {
  it('SoftHSM2 and the pkcs11js binding are installed', () => {
    assert.equal(missing, undefined, `the PKCS#11 OTA host keys test cannot run: ${missing}`);
  });
  if (missing !== undefined) return;

  before(async () => {
    token = createSoftHsmToken('opentsm-ota-keys');
    keeper = await openHsm(new MemoryAuditSink()); // keeps the library loaded between tests
  });

  after(() => {
    keeper?.close();
    token?.remove();
  });

  hsmOtaKeysSuite('PKCS#11 (SoftHSM2)', pkcs11Setup);
});
