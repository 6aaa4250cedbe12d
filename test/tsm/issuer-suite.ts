/**
 * Issuer authorization (docs/payment-application.md §5) on an HSM backend and a store: decisions,
 * ARPCs and issuer scripts checked against the published pyemv CVN chains (test/helpers/emv-chains.ts),
 * and the declines for the right reasons. Registered for the software HSM in npm test.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concat, fromHex, toHex } from '../../src/bytes/index.ts';
import { CVN_PROFILES, buildIad, type AuthorizationRequest } from '../../src/emv/index.ts';
import { closeDatabase, migrateToLatest, openDatabase, type StoreDb } from '../../src/store/index.ts';
import { IssuerService, TsmError } from '../../src/tsm/index.ts';
import { importClear, SPECS, type HsmSetup, type HsmUnderTest } from '../hsm/conformance/fixture.ts';
import { EMV_CHAINS, type EmvChain } from '../helpers/emv-chains.ts';
import { byName, loadCaptured } from '../emv/captured.ts';

const VECTORS = [...loadCaptured('emv/arqc.json'), ...loadCaptured('emv/arpc.json'), ...loadCaptured('emv/secure-messaging.json')];
const vectorByName = (name: string) => byName(VECTORS, name);

interface Fixture { t: HsmUnderTest; db: StoreDb; service: IssuerService; close(): Promise<void> }

async function fixture(setup: HsmSetup): Promise<Fixture> {
  const t = await setup();
  const db = await openDatabase(':memory:');
  await migrateToLatest(db);
  const key = await t.hsm.generateKey({ usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: t.ctx.tenant, label: 'PAN index' }, t.ctx);
  const service = new IssuerService({ db, hsm: t.hsm, ctx: t.ctx, panIndexKey: key.id });
  return { t, db, service, close: async () => { await closeDatabase(db); await t.close(); } };
}

async function registerChain(f: Fixture, chain: EmvChain): Promise<string> {
  const imk = async (spec: Parameters<typeof importClear>[1], hex: string) => (await importClear(f.t, spec, fromHex(hex))).id;
  return f.service.registerCard({
    pan: chain.pan, psn: chain.psn, profile: chain.profile,
    imkAc: await imk(SPECS.imkAc, chain.imk.ac), imkSmi: await imk(SPECS.imkSmi, chain.imk.smi), imkSmc: await imk(SPECS.imkSmc, chain.imk.smc),
  });
}

/** The request a terminal would send for the chain's transaction: its tags, with the CVR/counters inside an IAD of our layout. */
function requestOf(chain: EmvChain): AuthorizationRequest {
  const { CVR, COUNTERS, ...tags } = chain.acElements;
  const data: Record<string, Uint8Array> = {};
  for (const [tag, hex] of Object.entries(tags)) data[tag] = fromHex(hex);
  if (CVR !== undefined) {
    data['9F10'] = buildIad(CVN_PROFILES[chain.profile], { dki: 1, cvr: fromHex(CVR), ...(COUNTERS === undefined ? {} : { counters: fromHex(COUNTERS) }) });
  }
  return { pan: chain.pan, psn: chain.psn, cryptogram: fromHex(vectorByName(chain.steps.arqc).expected), cid: 0x80, data };
}

// Interac's IAD is not in our layout; the visa-22 chain's AC records are CVN 18's (its IAD names CVN 18).
const CHAINS = EMV_CHAINS.filter((c) => c.profile !== 'interac-133' && c.profile !== 'visa-22');

export function issuerSuite(name: string, setup: HsmSetup): void {
  describe(`issuer authorization: ${name}`, () => {
    for (const chain of CHAINS) {
      it(`${chain.test}: the published ARQC is approved once, then its ATC is a replay`, async () => {
        const f = await fixture(setup);
        try {
          await registerChain(f, chain);
          const first = await f.service.authorize(requestOf(chain));
          assert.equal(first.decision, 'approved', first.reason);
          assert.equal(first.responseCode, '00');
          assert.ok(first.issuerAuthenticationData !== undefined);
          const again = await f.service.authorize(requestOf(chain));
          assert.deepEqual([again.decision, again.reason, again.issuerAuthenticationData], ['declined', 'atc-replayed', undefined]);
        } finally {
          await f.close();
        }
      });
    }

    it('visa-10: the ARPC with ARC 3030 and the APPLICATION UNBLOCK script equal the published values', async () => {
      const chain = CHAINS.find((c) => c.profile === 'visa-10')!;
      const f = await fixture(setup);
      try {
        const id = await registerChain(f, chain);
        await f.service.queueScript(id, { kind: 'application-unblock' });
        const r = await f.service.authorize(requestOf(chain));
        assert.equal(toHex(r.issuerAuthenticationData!), `${vectorByName(chain.steps.arpc).expected}3030`);
        assert.deepEqual(r.scripts.map(toHex), [`8418000008${vectorByName(chain.steps.unblockMac).expected}`]);
        await f.service.confirmScripts(id, 1);
        assert.equal((await f.service.cardState(id)).pendingScripts, 0);
      } finally {
        await f.close();
      }
    });

    it('visa-18 blocked at the issuer: declined, but the ARPC (CSU 00000000) and the pending scripts still go out', async () => {
      const chain = CHAINS.find((c) => c.test === 'test_visa_cvn18')!;
      const f = await fixture(setup);
      try {
        const id = await registerChain(f, chain);
        await f.service.queueScript(id, { kind: 'application-block' });
        const r = await f.service.authorize(requestOf(chain));
        assert.deepEqual([r.decision, r.reason, r.responseCode], ['declined', 'card-blocked', '05']);
        assert.equal(toHex(r.issuerAuthenticationData!), `${vectorByName(chain.steps.arpc).expected}00000000`);
        assert.equal(r.scripts.length, 1);
        assert.equal(toHex(r.scripts[0]!).slice(0, 10), '841E000008');
      } finally {
        await f.close();
      }
    });

    it('mastercard-17: the PIN UNBLOCK script MAC equals the published value', async () => {
      const chain = CHAINS.find((c) => c.profile === 'mastercard-17')!;
      const f = await fixture(setup);
      try {
        const id = await registerChain(f, chain);
        await f.service.queueScript(id, { kind: 'pin-unblock' });
        const r = await f.service.authorize(requestOf(chain));
        assert.deepEqual(r.scripts.map(toHex), [`8424000008${vectorByName(chain.steps.unblockMac).expected}`]);
      } finally {
        await f.close();
      }
    });

    it('declines for the right reasons: tampered cryptogram, wrong PAN or PSN, unknown card, missing data, another issuer', async () => {
      const chain = CHAINS.find((c) => c.profile === 'mastercard-17')!;
      const f = await fixture(setup);
      try {
        await registerChain(f, chain);
        const good = requestOf(chain);
        const flipped = good.cryptogram.slice();
        flipped[7]! ^= 0x01;
        const cases: [AuthorizationRequest, string][] = [
          [{ ...good, cryptogram: flipped }, 'cryptogram-invalid'],
          [{ ...good, data: { ...good.data, '9F02': fromHex('000000009998') } }, 'cryptogram-invalid'],
          [{ ...good, pan: '1234567890123457' }, 'card-unknown'],
          [{ ...good, psn: '01' }, 'card-unknown'],
          [{ ...good, data: Object.fromEntries(Object.entries(good.data).filter(([k]) => k !== '9F37')) }, 'data-invalid'],
          [{ ...good, data: { ...good.data, '9F10': concat(good.data['9F10']!, Uint8Array.of(0)) } }, 'data-invalid'],
          [{ ...good, cid: 0x40 }, 'data-invalid'],
        ];
        for (const [request, reason] of cases) {
          const r = await f.service.authorize(request);
          assert.deepEqual([r.decision, r.reason, r.issuerAuthenticationData, r.scripts.length], ['declined', reason, undefined, 0], reason);
        }
        // The failed attempts did not move the ATC: the genuine request still passes.
        assert.equal((await f.service.authorize(good)).decision, 'approved');
        // Another issuer on the same store and HSM does not see this card.
        const otherKey = await f.t.hsm.generateKey({ usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: f.t.otherCtx.tenant }, f.t.otherCtx);
        const other = new IssuerService({ db: f.db, hsm: f.t.hsm, ctx: f.t.otherCtx, panIndexKey: otherKey.id });
        assert.equal((await other.authorize({ ...good, data: { ...good.data, '9F36': fromHex('0100') } })).reason, 'card-unknown');
      } finally {
        await f.close();
      }
    });

    it('hostile requests end in ERR_TSM_REQUEST and never echo the PAN', async () => {
      const chain = CHAINS[0]!;
      const f = await fixture(setup);
      try {
        await registerChain(f, chain);
        const good = requestOf(chain);
        const bad: unknown[] = [null, 7, {}, { ...good, pan: '12ab' }, { ...good, pan: 5 }, { ...good, psn: '1' }, { ...good, cryptogram: new Uint8Array(7) },
          { ...good, cid: 256 }, { ...good, data: [] }, { ...good, data: { '9f02': new Uint8Array(6) } }, { ...good, data: { '9F02': 'x' } },
          { ...good, data: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`DF${i.toString(16).padStart(2, '0').toUpperCase()}`, new Uint8Array(1)])) }];
        for (const request of bad) {
          await assert.rejects(f.service.authorize(request as AuthorizationRequest), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_REQUEST' && !e.message.includes(chain.pan));
        }
        await assert.rejects(f.service.registerCard({ pan: chain.pan, psn: chain.psn, profile: chain.profile, imkAc: 'a', imkSmi: 'b', imkSmc: 'c' }), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFLICT');
      } finally {
        await f.close();
      }
    });
  });
}
