/**
 * The HSM conformance suite (CONVENTIONS.md §7: one suite per interface, run unchanged on every
 * implementation). Written against the `Hsm` interface only; a backend supplies a setup function
 * that returns a fresh instance with two tenants' contexts, three registered custodians and its
 * audit trail (fixture.ts). The software backend runs it in test/hsm/software.test.ts; the PKCS#11
 * backend calls `runHsmConformance('pkcs11', setup)` the same way.
 *
 * @example runHsmConformance('software', async () => ({ hsm, ctx, otherCtx, custodians, auditEvents, close }))
 */
import { describe } from 'node:test';
import { asymmetricTests } from './asymmetric.ts';
import { auditTests } from './audit.ts';
import { crossUseTests } from './cross-use.ts';
import { custodyTests } from './custody.ts';
import { emvPersonalizationTests } from './emv-personalization.ts';
import { emvVectorTests } from './emv-vectors.ts';
import type { HsmSetup } from './fixture.ts';
import { gpTests } from './gp.ts';
import { macVectorTests } from './mac-vectors.ts';
import { pinVectorTests } from './pin-vectors.ts';
import { tr31VectorTests } from './tr31-vectors.ts';
import { transientTests } from './transient.ts';

export type { HsmSetup, HsmUnderTest } from './fixture.ts';

/** Registers the conformance tests for backend `name`; `setup` is called once per test. */
export function runHsmConformance(name: string, setup: HsmSetup): void {
  describe(`Hsm conformance: ${name}`, () => {
    describe('custody', () => custodyTests(setup));
    describe('forbidden cross-use', () => crossUseTests(setup));
    describe('EMV vectors', () => emvVectorTests(setup));
    describe('EMV personalization: certificates, ICC key pairs, card PIN', () => emvPersonalizationTests(setup));
    describe('PIN block vectors', () => pinVectorTests(setup));
    describe('TR-31 vectors', () => tr31VectorTests(setup));
    describe('GlobalPlatform host keys against the virtual SE', () => gpTests(setup));
    describe('asymmetric, MAC and data operations', () => asymmetricTests(setup));
    describe('ISO 9797-1 MAC vectors, padding named', () => macVectorTests(setup));
    describe('audit', () => auditTests(setup));
    describe('keys generated for export, transient keys', () => transientTests(setup));
  });
}
