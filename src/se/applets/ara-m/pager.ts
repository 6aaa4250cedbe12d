/**
 * Paging of long rule lists, per logical channel (volatile, as on a card): the first response
 * carries the start of the Response-ALL-REF-AR-DO (its length field stating the full length), each
 * "next" request the following bytes (SEAC v1.1 §4.1.2: GET DATA [Next] 'FF60'; §5.1: Command-
 * Get-Next 'F5'). AOSP's AccessRuleApplet reads the first response's TLV length and sends [Next]
 * until it has that many bytes; GPPro's AcrListFetcher does the same over STORE DATA.
 */
import { SW } from '../../../apdu/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { sameBytes } from './data-objects.ts';

interface Pending {
  readonly rest: Uint8Array;
  /** The refresh tag when the listing started: if the rules change meanwhile the rest is stale. */
  readonly refreshTag: Uint8Array;
}

/** Per-channel paging state of one kind of listing. */
export class Pager {
  readonly #pending = new Map<number, Pending>();

  /** Returns the first page of `full` and keeps the rest for `next`. */
  start(channel: number, full: Uint8Array, pageSize: number, refreshTag: Uint8Array): Uint8Array {
    this.#pending.delete(channel);
    if (full.length > pageSize) this.#pending.set(channel, { rest: full.slice(pageSize), refreshTag: refreshTag.slice() });
    return full.slice(0, pageSize);
  }

  /**
   * The next page. Nothing pending: 6A88 (referenced data not found, as the aram-applet reference
   * answers). Rules updated since the listing began: 6984, "rules have been updated and must be read
   * again" (SEAC v1.1 §4.1.2.2 as transcribed by pySim's status-word table) [M].
   */
  next(channel: number, pageSize: number, refreshTag: Uint8Array): Uint8Array {
    const p = this.#pending.get(channel);
    if (p === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'ARA-M: no listing in progress');
    if (!sameBytes(p.refreshTag, refreshTag)) {
      this.#pending.delete(channel);
      throw new CardException(SW.REFERENCE_DATA_NOT_USABLE, 'ARA-M: rules changed during the listing; read them again');
    }
    const page = p.rest.slice(0, pageSize);
    if (p.rest.length > pageSize) this.#pending.set(channel, { rest: p.rest.slice(pageSize), refreshTag: p.refreshTag });
    else this.#pending.delete(channel);
    return page;
  }

  /** Forgets the channel's listing (deselection, channel closed). */
  clear(channel: number): void {
    this.#pending.delete(channel);
  }
}
