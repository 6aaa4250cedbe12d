/**
 * The demo's key ceremony and parties, as an operator would set them up: two custodians register and
 * each enters an LMK component (the LMK is their XOR, checked by KCV); the card manufacturer and the
 * MNO share a transport KEK, and the MNO and the bank a handover KBPK, each entered as two components;
 * the TEE factory and the bank a key-injection KEK; the payment scheme's CA key, the bank's issuer keys, SSD master keys and PAN-index key are
 * generated in the HSM. Everything lives in a SQLite store in
 * the demo's data directory, every key a TR-31 block under the LMK.
 */
import { randomBytes } from 'node:crypto';
import { toHex, xor } from '../../bytes/index.ts';
import { kcv } from '../../crypto/index.ts';
import { SoftwareHsm, assembleLmk, generateLmk, type AuditSink, type CustodianCredential, type KeyComponentInput, type OperationContext } from '../../hsm/index.ts';
import { appendAuditEvent, keyRecordStore, type StoreDb } from '../../store/index.ts';
import { PAN_INDEX_LABEL, TEE_KIF_LABEL, createPaymentIssuer, handoverKbpkLabel, type IssuerPersonalizationKeys } from '../../tsm/index.ts';
import { narrowKeyAttributes } from '../hsm/context.ts';

/**
 * The tenants of the demo: the TSM operator, the mobile operator that issues the SEs (its ISD keys),
 * the bank (its issuer keys and its SSD master keys), and the payment scheme's CA. The HSM's tenant
 * checks keep each party to its own keys: the bank's SSD keys are out of the MNO's reach.
 */
export const DEMO_TENANTS = { operator: 'operator', mno: 'demo-mno', bank: 'demo-bank', scheme: 'demo-scheme' } as const;

/** Labels the demo's keys go by (the API names keys by label). */
export const DEMO_KEYS = {
  /** The MNO's copy of the factory's transport KBPK: unwraps the batch key file. */
  factoryKbpk: 'factory transport KBPK',
  ssdMaster: (role: 'ENC' | 'MAC' | 'DEK') => `SSD master ${role}`,
  /** The bank's PIN issuing key (P0): initial PINs travel to the TSM under it. */
  pinIssuing: 'PIN issuing key',
} as const;

export interface DemoParties {
  readonly hsm: SoftwareHsm;
  readonly lmkKcv: string;
  readonly ctx: (tenant: string) => OperationContext;
  /** The transport KEK in the clear: the card manufacturer's copy (the factory wraps batch keys under it). */
  readonly manufacturerKek: Uint8Array;
  readonly issuer: IssuerPersonalizationKeys;
  /** The bank's SSD master keys (B3): each SE's SSD keys are diversified from them. */
  readonly ssdMasters: { readonly enc: string; readonly mac: string; readonly dek: string };
  readonly caSpki: Uint8Array;
  readonly caIndex: number;
  /** The TEE key-injection KEK in the clear: the TEE factory's copy (it wraps each TEE's KBPK under it; docs/tee.md). */
  readonly teeFactoryKek: Uint8Array;
  /** The PIN issuing key in the clear: the bank's PIN mailer system's copy (it enciphers initial PINs). */
  readonly pinIssuingKey: Uint8Array;
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
  await hsm.importComponents(
    { usage: 'K1', algorithm: 'A', modeOfUse: 'D', exportability: 'N', length: 32, owner: DEMO_TENANTS.mno, label: DEMO_KEYS.factoryKbpk },
    split(manufacturerKek, custodians, 'A'), ctx(DEMO_TENANTS.mno));
  // The SSD key handover KBPK, entered by the same two custodians into both tenants (docs/provisioning.md).
  const handover = new Uint8Array(randomBytes(32));
  for (const [owner, other] of [[DEMO_TENANTS.mno, DEMO_TENANTS.bank], [DEMO_TENANTS.bank, DEMO_TENANTS.mno]] as const) {
    await hsm.importComponents({ usage: 'K1', algorithm: 'A', modeOfUse: 'B', exportability: 'N', length: 32, owner, label: handoverKbpkLabel(other) }, split(handover, custodians, 'A'), ctx(owner));
  }
  handover.fill(0);
  const caIndex = 0x92;
  const ca = await hsm.generateKeyPair({ algorithm: 'R', size: 1408, usage: 'S1', owner: DEMO_TENANTS.scheme, label: 'demo payment-system CA' }, ctx(DEMO_TENANTS.scheme));
  const caSpki = await hsm.exportPublicKey(ca.id, ctx(DEMO_TENANTS.scheme));
  const bank = ctx(DEMO_TENANTS.bank);
  const issuer = await createPaymentIssuer(hsm, bank, { ca: { key: ca.id, ctx: ctx(DEMO_TENANTS.scheme), index: caIndex }, issuerIdentifier: DEMO_BIN, expiry: '1230', label: 'demo bank' });
  const master = async (role: 'ENC' | 'MAC' | 'DEK'): Promise<string> =>
    (await hsm.generateKey({ usage: 'B3', algorithm: 'A', modeOfUse: 'X', exportability: 'N', length: 16, owner: DEMO_TENANTS.bank, label: DEMO_KEYS.ssdMaster(role) }, bank)).id;
  const ssdMasters = { enc: await master('ENC'), mac: await master('MAC'), dek: await master('DEK') };
  // Made beforehand, as docs/service.md §1 advises: the service finds it by label.
  await hsm.generateKey({ usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: DEMO_TENANTS.bank, label: PAN_INDEX_LABEL }, bank);
  // The TEE key-injection KEK, shared with the TEE factory (ANSI X9.24-1 key injection): the bank enrolls TEEs under it.
  const teeFactoryKek = new Uint8Array(randomBytes(16));
  await hsm.importComponents({ usage: 'K1', algorithm: 'A', modeOfUse: 'B', exportability: 'N', length: 16, owner: DEMO_TENANTS.bank, label: TEE_KIF_LABEL }, split(teeFactoryKek, custodians, 'A'), bank);
  // The bank's PIN issuing key, shared with its PIN mailer system: an initial PIN reaches the TSM as a format 4 block under it.
  const pinIssuingKey = new Uint8Array(randomBytes(16));
  await hsm.importComponents({ usage: 'P0', algorithm: 'A', modeOfUse: 'B', exportability: 'N', length: 16, owner: DEMO_TENANTS.bank, label: DEMO_KEYS.pinIssuing }, split(pinIssuingKey, custodians, 'A'), bank);
  return { hsm, lmkKcv, ctx, manufacturerKek, issuer, ssdMasters, caSpki, caIndex, teeFactoryKek, pinIssuingKey };
}

/** The demo bank's BIN: every demo PAN starts with it (the issuer certificate's identifier). */
export const DEMO_BIN = '476173';
