/**
 * The phone's Access Control Enforcer over an ARA-M (GP SEAC v1.1 §4 and §3.2.1; AOSP
 * AccessControlEnforcer with AraController): reads the rules through {@link AccessRuleCache},
 * searches them with {@link findAccessRule}. Only the ARA-M is read — there is no ARF (PKCS#15)
 * reader — so an SE without an ARA-M is denied everything (ERR_DEVICE_SECURITY), UICC or not.
 *
 * @example
 * const enforcer = new AraEnforcer();
 * const decision = await enforcer.decide(terminal, aid, { packageName: 'com.example.wallet', certificates: [der] });
 * apduAllowed(decision.apdu, command);
 */
import { DeviceError } from '../errors.ts';
import type { SeTerminal } from '../terminal.ts';
import type { AccessControlEnforcer, AccessDecision, DeviceApp } from './access-decision.ts';
import { ARA_READER_DEFAULTS, type AraReaderOptions } from './ara-reader.ts';
import { appIdentity } from './app-identity.ts';
import { findAccessRule, type RuleMatch } from './precedence.ts';
import { AccessRuleCache } from './rule-cache.ts';

export interface AraEnforcerOptions {
  /** Bounds on the ARA-M's answers (listing size, pages). */
  readonly reader?: AraReaderOptions;
  /** A rule cache to share (e.g. with a test that inspects it); by default the enforcer's own. */
  readonly cache?: AccessRuleCache;
}

function checkLimit(value: number | undefined, name: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new DeviceError('ERR_DEVICE_PARAM', `AraEnforcer: ${name} must be a positive integer`);
}

/** The ARA-M based enforcer: one rule cache per terminal, refreshed by the ARA-M's refresh tag. */
export class AraEnforcer implements AccessControlEnforcer {
  readonly #cache: AccessRuleCache;

  constructor(options: AraEnforcerOptions = {}) {
    checkLimit(options.reader?.maxListingBytes, 'reader.maxListingBytes');
    checkLimit(options.reader?.maxPages, 'reader.maxPages');
    this.#cache = options.cache ?? new AccessRuleCache({ ...ARA_READER_DEFAULTS, ...options.reader });
  }

  /** The decision for `app` reaching `aid` on `terminal` (undefined `aid`: the default application). */
  async decide(terminal: SeTerminal, aid: Uint8Array | undefined, app: DeviceApp): Promise<AccessDecision> {
    return (await this.match(terminal, aid, app)).decision;
  }

  /** Like {@link decide}, with the precedence step that decided (for tests and diagnostics). */
  async match(terminal: SeTerminal, aid: Uint8Array | undefined, app: DeviceApp): Promise<RuleMatch> {
    checkAid(aid);
    const identity = appIdentity(app);
    const { index } = await this.#cache.rules(terminal);
    return findAccessRule(index, aid, identity);
  }

  /**
   * Whether each of `apps` may receive the NFC events (HCI EVT_TRANSACTION) of applet `aid` — AOSP
   * isNfcEventAllowed: one flag per app, each app judged alone; an app that cannot be judged gets
   * false. If the rules cannot be read at all, every flag is false (no ARA-M: no NFC events).
   */
  async nfcEventAllowed(terminal: SeTerminal, aid: Uint8Array, apps: readonly DeviceApp[]): Promise<boolean[]> {
    checkAid(aid);
    let index;
    try {
      index = (await this.#cache.rules(terminal)).index;
    } catch {
      return apps.map(() => false);
    }
    return apps.map((app) => {
      try {
        return findAccessRule(index, aid, appIdentity(app)).decision.nfc;
      } catch {
        return false;
      }
    });
  }

  /** Forgets the cached rules of `terminal` (the SE was reset or swapped). */
  reset(terminal: SeTerminal): void {
    this.#cache.reset(terminal);
  }
}

/** ISO/IEC 7816-5: an AID is 5 to 16 bytes (OMAPI checks the same before asking the enforcer). */
function checkAid(aid: Uint8Array | undefined): void {
  if (aid !== undefined && (!(aid instanceof Uint8Array) || aid.length < 5 || aid.length > 16)) {
    throw new DeviceError('ERR_DEVICE_ILLEGAL_ARGUMENT', 'access control: an AID is 5 to 16 bytes');
  }
}
