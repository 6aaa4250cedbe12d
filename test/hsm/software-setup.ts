/**
 * The software HSM as the conformance suite and the software-only tests set it up: a fresh LMK, an
 * in-memory store and audit sink, three custodians, scrypt at a test cost (N = 2^10; production
 * uses DEFAULT_SCRYPT, 2^15).
 */
import { MemoryAuditSink, MemoryKeyRecordStore, SoftwareHsm, generateLmk, type CustodianCredential, type OperationContext, type SoftwareHsmOptions } from '../../src/hsm/index.ts';
import type { HsmSetup, HsmUnderTest } from './conformance/suite.ts';

export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 } as const;

export const CUSTODIANS: readonly CustodianCredential[] = [
  { custodian: 'alice', passphrase: 'alice: correct horse battery' },
  { custodian: 'bob', passphrase: 'bob: staple of the realm' },
  { custodian: 'carol', passphrase: 'carol: nineteen eighty-four' },
];

export const CTX: OperationContext = { tenant: 'bank-a', actor: 'test', requestId: 'req-1' };
export const OTHER_CTX: OperationContext = { tenant: 'bank-b', actor: 'test' };

export interface SoftwareUnderTest extends HsmUnderTest {
  readonly hsm: SoftwareHsm;
  readonly store: MemoryKeyRecordStore;
  readonly audit: MemoryAuditSink;
}

/** A software HSM with the three custodians registered (the first by bootstrap). */
export async function softwareHsm(options: Partial<SoftwareHsmOptions> = {}): Promise<SoftwareUnderTest> {
  const store = new MemoryKeyRecordStore();
  const audit = new MemoryAuditSink();
  const hsm = new SoftwareHsm({ lmk: generateLmk(), store, audit, scrypt: TEST_SCRYPT, ...options });
  await hsm.registerCustodian(CUSTODIANS[0]!, undefined, CTX);
  await hsm.registerCustodian(CUSTODIANS[1]!, CUSTODIANS[0], CTX);
  await hsm.registerCustodian(CUSTODIANS[2]!, CUSTODIANS[1], CTX);
  return { hsm, store, audit, ctx: CTX, otherCtx: OTHER_CTX, custodians: CUSTODIANS, auditEvents: () => audit.events, close: () => hsm.close() };
}

export const softwareSetup: HsmSetup = () => softwareHsm();
