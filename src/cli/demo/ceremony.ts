/**
 * The demo's key ceremony and parties, as an operator would set them up: two custodians register and
 * each enters an LMK component (the LMK is their XOR, checked by KCV); the card manufacturer and the
 * operator share a transport KEK entered as two components; the payment scheme's CA key, the bank's
 * issuer keys and the PAN-index key are generated in the HSM. Everything lives in a SQLite store in
 * the demo's data directory, every key a TR-31 block under the LMK.
 */
import { randomBytes } from 'node:crypto';
import { toHex, xor } from '../../bytes/index.ts';
import { kcv } from '../../crypto/index.ts';
import { SoftwareHsm, assembleLmk, generateLmk, type AuditSink, type CustodianCredential, type KeyComponentInput, type OperationContext } from '../../hsm/index.ts';
import { appendAuditEvent, keyRecordStore, type StoreDb } from '../../store/index.ts';
import { PAN_INDEX_LABEL, createPaymentIssuer, type IssuerPersonalizationKeys } from '../../tsm/index.ts';
import { narrowKeyAttributes } from '../hsm/context.ts';

/**
 * The tenants of the demo. Until the TSM service's security-domain key handover exists (the SEI side
 * creates the bank's SSD and hands its keys over), the TSM holds the SE keys and the issuer's keys in
 * one tenant and personalizes through the ISD; the payment scheme's CA is a tenant of its own.
 */
export const DEMO_TENANTS = { operator: 'operator', tsm: 'demo-tsm', scheme: 'demo-scheme' } as const;

export interface DemoParties {
  readonly hsm: SoftwareHsm;
  readonly lmkKcv: string;
  readonly ctx: (tenant: string) => OperationContext;
  /** The transport KEK in the clear: the card manufacturer's copy (the factory wraps batch keys under it). */
  readonly manufacturerKek: Uint8Array;
  /** The operator's copy of the KEK in the HSM (usage K1: unwraps the key file's TR-31 blocks). */
  readonly transportKek: string;
  readonly issuer: IssuerPersonalizationKeys;
  readonly caSpki: Uint8Array;
  readonly caIndex: number;
  readonly panIndexKey: string;
}

function component(key: Uint8Array, custodian: CustodianCredential, algorithm: 'T' | 'A'): KeyComponentInput {
  return { credential: custodian, component: key, kcv: toHex(kcv(key, algorithm === 'T' ? 'tdes-zeros' : 'aes-cmac')) };
}

/** Splits `key` into two random components, one per custodian. */
function split(key: Uint8Array, custodians: readonly CustodianCredential[], algorithm: 'T' | 'A'): KeyComponentInput[] {
  const first = new Uint8Array(randomBytes(key.length));
  return [component(first, custodians[0]!, algorithm), component(xor(key, first), custodians[1]!, algorithm)];
}

/** Runs the ceremony on `db` and sets up the parties. */
export async function holdCeremony(db: StoreDb): Promise<DemoParties> {
  const store = keyRecordStore(db, narrowKeyAttributes);
  const audit: AuditSink = { record: async (event) => void (await appendAuditEvent(db, event)) };
  const ctx = (tenant: string): OperationContext => ({ tenant, actor: 'demo' });
  const custodians: CustodianCredential[] = ['alice', 'bob'].map((name) => ({ custodian: name, passphrase: `${name}: ${toHex(new Uint8Array(randomBytes(12)))}` }));
  // Registering custodians touches no key: a throwaway LMK serves, as `opentsm hsm init --from-components` does.
  const bootstrap = new SoftwareHsm({ lmk: generateLmk(), store, audit });
  await bootstrap.registerCustodian(custodians[0]!, undefined, ctx(DEMO_TENANTS.operator));
  await bootstrap.registerCustodian(custodians[1]!, custodians[0], ctx(DEMO_TENANTS.operator));
  bootstrap.close();
  const lmk = await assembleLmk(custodians.map((c) => component(new Uint8Array(randomBytes(32)), c, 'A')), { store });
  const lmkKcv = lmk.kcv;
  const hsm = new SoftwareHsm({ lmk, store, audit });
  const manufacturerKek = new Uint8Array(randomBytes(32));
  const transportKek = await hsm.importComponents(
    { usage: 'K1', algorithm: 'A', modeOfUse: 'D', exportability: 'N', length: 32, owner: DEMO_TENANTS.tsm, label: 'transport KEK (card manufacturer)' },
    split(manufacturerKek, custodians, 'A'), ctx(DEMO_TENANTS.tsm));
  const caIndex = 0x92;
  const ca = await hsm.generateKeyPair({ algorithm: 'R', size: 1408, usage: 'S1', owner: DEMO_TENANTS.scheme, label: 'demo payment-system CA' }, ctx(DEMO_TENANTS.scheme));
  const caSpki = await hsm.exportPublicKey(ca.id, ctx(DEMO_TENANTS.scheme));
  const issuer = await createPaymentIssuer(hsm, ctx(DEMO_TENANTS.tsm), {
    ca: { key: ca.id, ctx: ctx(DEMO_TENANTS.scheme), index: caIndex }, issuerIdentifier: DEMO_BIN, expiry: '1230', label: 'demo bank',
  });
  // Made beforehand, as docs/service.md §1 advises: the service finds it by label.
  const panIndexKey = await hsm.generateKey({ usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: DEMO_TENANTS.tsm, label: PAN_INDEX_LABEL }, ctx(DEMO_TENANTS.tsm));
  return { hsm, lmkKcv, ctx, manufacturerKek, transportKek: transportKek.id, issuer, caSpki, caIndex, panIndexKey: panIndexKey.id };
}

/** The demo bank's BIN: every demo PAN starts with it (the issuer certificate's identifier). */
export const DEMO_BIN = '476173';
