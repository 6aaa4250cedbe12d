/**
 * Life cycle states and their allowed transitions (GPC 2.3.1 §11.1.1 Tables 11-3..11-6; chapter 5,
 * Figures 5-1..5-3), as data. The card-side state machine (next issue) and the TSM's registry
 * checks both read these tables.
 */

/** Executable Load File life cycle (Table 11-3): one state. */
export const LOAD_FILE_LIFECYCLE = { LOADED: 0x01 } as const;

/** Application life cycle (Table 11-4). LOCKED is b8 set over the previous state (`1xxxxx11`). */
export const APPLICATION_LIFECYCLE = { INSTALLED: 0x03, SELECTABLE: 0x07 } as const;

/** Security Domain life cycle (Table 11-5). LOCKED is b8 set over the previous state (`83`, `87`, `8F`). */
export const SECURITY_DOMAIN_LIFECYCLE = { INSTALLED: 0x03, SELECTABLE: 0x07, PERSONALIZED: 0x0f } as const;

/** Card life cycle, inherited by the Issuer Security Domain (Table 11-6). */
export const CARD_LIFECYCLE = {
  OP_READY: 0x01,
  INITIALIZED: 0x07,
  SECURED: 0x0f,
  CARD_LOCKED: 0x7f,
  TERMINATED: 0xff,
} as const;

/** Card life cycle state names (Table 11-6). */
export type CardLifecycleName = keyof typeof CARD_LIFECYCLE;
/** Application life cycle state names (Table 11-4). */
export type ApplicationLifecycleName = keyof typeof APPLICATION_LIFECYCLE;
/** Security Domain life cycle state names (Table 11-5). */
export type SecurityDomainLifecycleName = keyof typeof SECURITY_DOMAIN_LIFECYCLE;

/**
 * Card transitions (§5.1.1, Figure 5-1): forward only, SECURED ⇄ CARD_LOCKED, TERMINATED from any
 * state and final. Skipping INITIALIZED (OP_READY → SECURED) is not in the figure and is refused.
 */
export const CARD_TRANSITIONS: Readonly<Record<CardLifecycleName, readonly CardLifecycleName[]>> = {
  OP_READY: ['INITIALIZED', 'TERMINATED'],
  INITIALIZED: ['SECURED', 'TERMINATED'],
  SECURED: ['CARD_LOCKED', 'TERMINATED'],
  CARD_LOCKED: ['SECURED', 'TERMINATED'],
  TERMINATED: [],
};

/**
 * Security Domain transitions besides locking (§5.3.2, Figure 5-3): INSTALLED → SELECTABLE →
 * PERSONALIZED, each irreversible.
 */
export const SECURITY_DOMAIN_TRANSITIONS: Readonly<Record<SecurityDomainLifecycleName, readonly SecurityDomainLifecycleName[]>> = {
  INSTALLED: ['SELECTABLE'],
  SELECTABLE: ['PERSONALIZED'],
  PERSONALIZED: [],
};

/** The b8 "LOCKED" bit of application and Security Domain states (Tables 11-4, 11-5). */
export const LOCKED_BIT = 0x80;

/** What a life cycle byte describes. */
export type LifecycleKind = 'card' | 'application' | 'security-domain' | 'load-file';

/** A decoded life cycle byte. `name` is undefined for a value the table does not define. */
export interface LifecycleInfo {
  readonly value: number;
  readonly name: string | undefined;
  readonly locked: boolean;
}

function nameOf(table: Readonly<Record<string, number>>, value: number): string | undefined {
  return Object.keys(table).find((k) => table[k] === value);
}

/** True for an application-specific state `0xxxx111` other than SELECTABLE (Table 11-4). */
export function isApplicationSpecificState(value: number): boolean {
  return (value & 0x87) === 0x07 && value !== APPLICATION_LIFECYCLE.SELECTABLE;
}

/**
 * Names a life cycle byte for `kind` (Tables 11-3..11-6). Locked application and Security Domain
 * states are named `LOCKED` with the state they return to, e.g. `87` → "LOCKED (SELECTABLE)".
 * @example describeLifecycle('card', 0x07).name // 'INITIALIZED'
 */
export function describeLifecycle(kind: LifecycleKind, value: number): LifecycleInfo {
  const v = value & 0xff;
  switch (kind) {
    case 'card':
      return Object.freeze({ value: v, name: nameOf(CARD_LIFECYCLE, v), locked: v === CARD_LIFECYCLE.CARD_LOCKED });
    case 'load-file':
      return Object.freeze({ value: v, name: nameOf(LOAD_FILE_LIFECYCLE, v), locked: false });
    case 'application':
    case 'security-domain': {
      const table = kind === 'application' ? APPLICATION_LIFECYCLE : SECURITY_DOMAIN_LIFECYCLE;
      const base = v & ~LOCKED_BIT;
      let name = nameOf(table, base);
      if (name === undefined && kind === 'application' && isApplicationSpecificState(base)) name = 'APPLICATION_SPECIFIC';
      const locked = (v & LOCKED_BIT) !== 0 && (v & 0x03) === 0x03;
      if (locked) return Object.freeze({ value: v, name: name === undefined ? undefined : `LOCKED (${name})`, locked });
      return Object.freeze({ value: v, name: (v & LOCKED_BIT) === 0 ? name : undefined, locked: false });
    }
  }
}

/**
 * Whether a card may move from `from` to `to` (Figure 5-1; SET STATUS P1 = '80', §11.10.2.2). A
 * transition to the current state is refused (§11.10.2.2).
 */
export function cardTransitionAllowed(from: number, to: number): boolean {
  const a = nameOf(CARD_LIFECYCLE, from) as CardLifecycleName | undefined;
  const b = nameOf(CARD_LIFECYCLE, to) as CardLifecycleName | undefined;
  return a !== undefined && b !== undefined && CARD_TRANSITIONS[a].includes(b);
}

/**
 * Whether an application or Security Domain may move from `from` to `to` (§5.3, Figures 5-2 and 5-3):
 * - locking sets b8 over the current state; unlocking returns exactly to the previous state;
 * - the forward transitions of {@link SECURITY_DOMAIN_TRANSITIONS}, or for an application
 *   INSTALLED → SELECTABLE and SELECTABLE / application-specific → another application-specific state;
 * - never to the current state (§11.10.2.2).
 */
export function applicationTransitionAllowed(kind: 'application' | 'security-domain', from: number, to: number): boolean {
  const a = describeLifecycle(kind, from);
  const b = describeLifecycle(kind, to);
  if (a.name === undefined || b.name === undefined || from === to) return false;
  if (a.locked) return to === (from & ~LOCKED_BIT); // §5.3.1.3: back to the previous state
  if (b.locked) return to === (from | LOCKED_BIT);
  if (kind === 'security-domain') {
    const names = SECURITY_DOMAIN_TRANSITIONS[a.name as SecurityDomainLifecycleName];
    return names.some((n) => SECURITY_DOMAIN_LIFECYCLE[n] === to);
  }
  if (from === APPLICATION_LIFECYCLE.INSTALLED) return to === APPLICATION_LIFECYCLE.SELECTABLE; // §5.3.1.2
  return isApplicationSpecificState(to); // §5.3.1.5: the application moves among its own states
}
