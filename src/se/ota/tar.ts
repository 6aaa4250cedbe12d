/**
 * Which Security Domain a TAR addresses, and the Minimum Security Level set for it.
 *
 * - The card's TAR table (`CardState.ota.tars`, written by the card factory: by default 000000 and
 *   B00000 for the ISD) comes first. TAR values: ETSI TS 101 220 Annex D [M] — 000000 for the ISD's
 *   RAM in ota.md §1.1; B20100 named for the ISD in the session brief [M]; neither checked against
 *   the ETSI text, so the card knows only the TARs its table lists.
 * - Otherwise a Security Domain whose AID has at least 15 bytes answers to AID bytes 13–15
 *   (ETSI TS 101 220 / TS 102 226: the TAR is coded in the AID's PIX [M]).
 * An SD that is not selectable (LOCKED, or an SD not yet personalized in a way that forbids
 * selection) is not reachable over the air either: its TAR is unknown (PoR 09).
 */
import type { Spi } from '../../ota/index.ts';
import { equalCt } from '../../bytes/index.ts';
import type { CardState, OtaTarState } from '../state/card-state.ts';
import { isLocked, isSelectableLifecycle, sameAid } from '../gp/registry.ts';

/** The SD a TAR reaches. */
export interface TarTarget {
  readonly sdAid: Uint8Array;
  readonly msl: number | undefined;
}

/** Resolves a TAR to its Security Domain, or undefined (PoR 09). */
export function resolveTar(state: CardState, tar: Uint8Array): TarTarget | undefined {
  const entry: OtaTarState | undefined = state.ota?.tars.find((t) => t.tar.length === 3 && equalCt(t.tar, tar));
  const sdAid = entry?.sdAid ?? state.applications.find((a) => a.sd !== undefined && a.aid.length >= 15 && equalCt(a.aid.subarray(12, 15), tar))?.aid;
  if (sdAid === undefined) return undefined;
  const app = state.applications.find((a) => sameAid(a.aid, sdAid));
  if (app?.sd === undefined) return undefined;
  const isd = sameAid(app.aid, state.isdAid);
  if (!isd && (isLocked(app) || !isSelectableLifecycle(app))) return undefined;
  return { sdAid: app.aid, msl: entry?.msl };
}

/** Ranks for the MSL comparison: a stronger check or counter mode satisfies a weaker minimum. */
const CHECK_RANK: Readonly<Record<Spi['rcCcDs'], number>> = { none: 0, rc: 1, cc: 2, ds: 3 };
const COUNTER_RANK: Readonly<Record<Spi['counter'], number>> = { none: 0, 'no-check': 1, higher: 2, 'one-higher': 3 };
const CHECKS = ['none', 'rc', 'cc', 'ds'] as const;
const COUNTERS = ['none', 'no-check', 'higher', 'one-higher'] as const;

/**
 * Whether a packet's SPI meets an MSL coded as SPI byte 1 [M]: its RC/CC/DS at least as strong,
 * ciphered if the MSL asks for it, its counter mode at least as strict.
 */
export function meetsMsl(spi: Spi, msl: number | undefined): boolean {
  if (msl === undefined) return true;
  const check = CHECKS[msl & 0x03]!;
  const counter = COUNTERS[(msl >> 3) & 0x03]!;
  if (CHECK_RANK[spi.rcCcDs] < CHECK_RANK[check]) return false;
  if ((msl & 0x04) !== 0 && !spi.ciphered) return false;
  return COUNTER_RANK[spi.counter] >= COUNTER_RANK[counter];
}
