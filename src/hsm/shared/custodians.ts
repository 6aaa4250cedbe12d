/**
 * Key custodians (dual control, research/hsm-emv.md §1.1 "authorised state"): people registered
 * by name with an scrypt passphrase hash in the KeyRecordStore, who authenticate one at a time for
 * the operation at hand. Every failure is one fixed message whatever went wrong (unknown name, wrong
 * passphrase, damaged record), so the HSM is no oracle for custodian names.
 *
 * Bootstrap: while the store has no custodian, the first one registers alone (no approval). This
 * happens once, at the installation ceremony, on an empty store under the operator's supervision.
 * From then on every registration needs an existing custodian's approval, authenticated.
 */
import type { CustodianCredential } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { CustodianRecord, KeyRecordStore } from '../key-record-store.ts';
import { isList } from './key-spec.ts';
import { hashPassphrase, verifyPassphrase, type ScryptParams } from './passphrase-hash.ts';

/** Custodian names: what a form or a shell can show unambiguously. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Passphrases: at least this many characters (NIST SP 800-63B §5.1.1 asks for 8; custodians guard keys). */
export const MIN_PASSPHRASE_LENGTH = 12;

function authFailure(): HsmError {
  return new HsmError('ERR_HSM_CUSTODIAN', 'custodian authentication failed');
}

/** Registers and authenticates custodians over a store. */
export class CustodianRegistry {
  readonly #store: KeyRecordStore;
  readonly #scrypt: ScryptParams;

  /** `scrypt` is both the cost new hashes get and the floor stored hashes must meet. */
  constructor(store: KeyRecordStore, scrypt: ScryptParams) {
    this.#store = store;
    this.#scrypt = scrypt;
  }

  /** Authenticates one custodian; returns the name. */
  async authenticate(credential: CustodianCredential): Promise<string> {
    if (typeof credential !== 'object' || credential === null || typeof credential.custodian !== 'string') throw authFailure();
    const record = NAME.test(credential.custodian) ? await this.#store.getCustodian(credential.custodian) : undefined;
    if (!verifyPassphrase(credential.passphrase, record?.passphraseHash, this.#scrypt)) throw authFailure();
    return credential.custodian;
  }

  /**
   * Authenticates `approvals` and requires at least `min` distinct custodians among them
   * (ERR_HSM_DUAL_CONTROL otherwise; the same custodian twice counts once). Returns the names.
   */
  async authenticateDistinct(approvals: readonly CustodianCredential[], min: number): Promise<readonly string[]> {
    if (!isList<CustodianCredential>(approvals)) throw new HsmError('ERR_HSM_DUAL_CONTROL', `${min} distinct custodians must approve`);
    const names = new Set<string>();
    for (const approval of approvals) names.add(await this.authenticate(approval));
    if (names.size < min || names.size !== approvals.length) {
      throw new HsmError('ERR_HSM_DUAL_CONTROL', `${min} distinct custodians must approve, got ${names.size} distinct of ${approvals.length}`);
    }
    return [...names];
  }

  /**
   * Registers `custodian` (name and passphrase). Needs `approval` by an existing custodian, except
   * for the very first one (bootstrap, see the file header). Returns the approver's name, if any.
   */
  async register(custodian: CustodianCredential, approval: CustodianCredential | undefined): Promise<string | undefined> {
    const name: unknown = custodian?.custodian;
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new HsmError('ERR_HSM_PARAM', 'custodian name: 1 to 64 characters A-Z a-z 0-9 . _ -, starting with a letter or digit');
    }
    if (typeof custodian.passphrase !== 'string' || custodian.passphrase.length < MIN_PASSPHRASE_LENGTH) {
      throw new HsmError('ERR_HSM_PARAM', `custodian passphrase: at least ${MIN_PASSPHRASE_LENGTH} characters`);
    }
    const existing = await this.#store.listCustodians();
    let approver: string | undefined;
    if (existing.length > 0) {
      if (approval === undefined) throw new HsmError('ERR_HSM_DUAL_CONTROL', 'registering a custodian needs the approval of an existing custodian');
      approver = await this.authenticate(approval);
      if (approver === name) throw new HsmError('ERR_HSM_DUAL_CONTROL', 'a custodian cannot approve their own registration');
    } else if (approval !== undefined) {
      throw new HsmError('ERR_HSM_PARAM', 'no custodian exists yet: the first one registers without approval (bootstrap)');
    }
    if (existing.some((c) => c.name === name)) throw new HsmError('ERR_HSM_PARAM', `custodian ${name} is already registered`);
    const record: CustodianRecord = { name, passphraseHash: hashPassphrase(custodian.passphrase, this.#scrypt), createdAt: new Date().toISOString() };
    await this.#store.putCustodian(record);
    return approver;
  }
}
