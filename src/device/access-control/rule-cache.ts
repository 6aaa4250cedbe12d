/**
 * The rules of each terminal, cached under the ARA-M's refresh tag (GP SEAC v1.1 §4.1, Response-RefreshTag-DO;
 * AOSP AccessRuleCache + AraController.initialize): every look-up reads GET DATA [Refresh tag] and
 * re-reads GET DATA [All] only when the tag differs from the cached one. Look-ups on one terminal
 * run one at a time (AOSP's enforcer methods are synchronized), so one ARA channel is open at most.
 */
import { parseAllRefArDo } from './rules.ts';
import { indexRules, type RuleIndex } from './precedence.ts';
import { withAraChannel, type AraReaderOptions } from './ara-reader.ts';
import type { SeTerminal } from '../terminal.ts';
import { DeviceError } from '../errors.ts';

/** The status word an ARA-M gives GET DATA [Next] when its rules changed mid-listing. */
const SW_RULES_CHANGED = 0x6984;

interface Entry {
  readonly refreshTag: Uint8Array;
  readonly index: RuleIndex;
}

/** What a look-up found. */
export interface CachedRules {
  readonly index: RuleIndex;
  readonly refreshTag: Uint8Array;
  /** True when this look-up read the listing (the tag changed, or nothing was cached). */
  readonly reread: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Per-terminal rule cache keyed by the refresh tag. */
export class AccessRuleCache {
  readonly #entries = new WeakMap<SeTerminal, Entry>();
  readonly #queues = new WeakMap<SeTerminal, Promise<unknown>>();
  readonly #reader: AraReaderOptions;

  constructor(reader: AraReaderOptions = {}) {
    this.#reader = reader;
  }

  /**
   * The rules of `terminal`, current as of this call: one ARA channel, DF20, and FF40 (+FF60) only
   * when the tag changed. A listing that fails to parse leaves no cache (the next call re-reads).
   */
  rules(terminal: SeTerminal): Promise<CachedRules> {
    return this.#serialised(terminal, async () => {
      try {
        return await this.#read(terminal);
      } catch (e) {
        // 6984 on GET DATA [Next]: the rules changed during the listing (as pySim transcribes GP SEAC v1.1 [M]); read once more
        if (e instanceof DeviceError && e.sw === SW_RULES_CHANGED) return this.#read(terminal);
        throw e;
      }
    });
  }

  #read(terminal: SeTerminal): Promise<CachedRules> {
    return withAraChannel(
      terminal,
      async (ara) => {
        const refreshTag = await ara.refreshTag();
        const known = this.#entries.get(terminal);
        if (known !== undefined && sameBytes(known.refreshTag, refreshTag)) return { index: known.index, refreshTag, reread: false };
        this.#entries.delete(terminal);
        const index = indexRules(parseAllRefArDo(await ara.allRules()));
        this.#entries.set(terminal, { refreshTag, index });
        return { index, refreshTag, reread: true };
      },
      this.#reader,
    );
  }

  /** Forgets what is cached for `terminal` (AOSP AccessRuleCache.reset: the SE was reset or removed). */
  reset(terminal: SeTerminal): void {
    this.#entries.delete(terminal);
  }

  #serialised<T>(terminal: SeTerminal, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(terminal) ?? Promise.resolve();
    const run = previous.then(task, task);
    this.#queues.set(terminal, run.catch(() => undefined));
    return run;
  }
}
