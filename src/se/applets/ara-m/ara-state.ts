/**
 * What the ARA-M keeps in persistent memory: the rules (canonical REF-DO / AR-DO encodings), the
 * refresh tag, the registered ARA-C AIDs and the last device configuration it was told about. The
 * value is immutable; every update builds a new one, staged with `ctx.setPersistent`, so a refused
 * command or a power cut leaves the previous rules (SEAC v1.1 ch. 5: updates are atomic).
 */
import { SW } from '../../../apdu/index.ts';
import { randomBytes } from '../../../crypto/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { sameBytes, type StoredRule } from './data-objects.ts';

/** The persistent data of an ARA-M instance. */
export interface AraState {
  readonly format: 'ara-m/1';
  readonly rules: readonly StoredRule[];
  /** Response-RefreshTag-DO value (SEAC v1.1 Table 4-4): 8 bytes, changed by every successful update. */
  readonly refreshTag: Uint8Array;
  /** Registered ARA-C AIDs, each a canonical AID-REF-DO (Command-Register-Client-AIDs, SEAC v1.1 Table 5-7). */
  readonly clientAids: readonly Uint8Array[];
  /** DeviceInterfaceVersion-DO value (3 bytes) from the last GET DATA [Config], if any. */
  readonly deviceInterfaceVersion?: Uint8Array | undefined;
}

/** Capacity of the rule store; beyond it STORE DATA answers 6A84 (not enough memory space). */
export const ARA_LIMITS = Object.freeze({ maxRules: 255, maxRuleBytes: 16 * 1024, maxClientAids: 16 });

/** Before the first update the refresh tag is all zeros (a device that cached nothing re-reads anyway). */
export const INITIAL_REFRESH_TAG: Uint8Array = new Uint8Array(8);

/** The state of a freshly installed ARA-M: no rules. */
export function emptyAraState(): AraState {
  return { format: 'ara-m/1', rules: [], refreshTag: INITIAL_REFRESH_TAG.slice(), clientAids: [] };
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

/**
 * Reads the instance's persistent data: undefined before the first update. A damaged value is a
 * memory problem (6581), never a crash.
 */
export function loadAraState(persistent: unknown): AraState {
  if (persistent === undefined) return emptyAraState();
  if (!isAraState(persistent)) throw new CardException(SW.MEMORY_FAILURE, 'ARA-M: persistent rule store is damaged');
  return persistent;
}

function isAraState(v: unknown): v is AraState {
  if (v === null || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  const isRule = (r: unknown): boolean => r !== null && typeof r === 'object' && isBytes((r as Record<string, unknown>).ref) && isBytes((r as Record<string, unknown>).ar);
  const version = s.deviceInterfaceVersion;
  return (
    s.format === 'ara-m/1' &&
    isBytes(s.refreshTag) &&
    s.refreshTag.length === 8 &&
    Array.isArray(s.rules) &&
    s.rules.every(isRule) &&
    Array.isArray(s.clientAids) &&
    s.clientAids.every(isBytes) &&
    (version === undefined || (isBytes(version) && version.length === 3))
  );
}

/** Total bytes the rules take (their REF-DO and AR-DO encodings). */
export function ruleBytes(rules: readonly StoredRule[]): number {
  return rules.reduce((n, r) => n + r.ref.length + r.ar.length, 0);
}

/** Refuses a rule set over the store's capacity (SEAC §5.1.2.2: 6A84). */
export function checkCapacity(rules: readonly StoredRule[]): void {
  if (rules.length > ARA_LIMITS.maxRules || ruleBytes(rules) > ARA_LIMITS.maxRuleBytes) {
    throw new CardException(SW.NOT_ENOUGH_MEMORY, 'ARA-M: rule store full');
  }
}

/** A new random refresh tag, different from `previous` (SEAC v1.1 ch. 5: every update changes it). */
export function nextRefreshTag(previous: Uint8Array): Uint8Array {
  for (;;) {
    const tag = randomBytes(8);
    if (!sameBytes(tag, previous)) return tag;
  }
}
