/**
 * The data elements the card gave the kernel (GPO response, records, GENERATE AC response), keyed by
 * upper-case hex tag. EMV Book 3 §10.2: a primitive data object the card sends twice ends the
 * transaction; so does a template that does not parse.
 */
import { tagHex, type Tlv } from '../../tlv/index.ts';
import { cardData } from '../errors.ts';

/** Card data elements by tag: a mutable store owned by one transaction. */
export class CardData {
  readonly #values = new Map<string, Uint8Array>();

  /** Adds the primitive children of `template` (70, 77); constructed children are not data elements here. */
  addTemplate(template: Tlv, what: string): void {
    for (const child of template.children ?? []) {
      if (!child.constructed) this.add(child.tag, child.value, what);
    }
  }

  /** Adds one element; a duplicate is malformed card data (Book 3 §10.2). */
  add(tag: number, value: Uint8Array, what: string): void {
    const key = tagHex(tag);
    if (this.#values.has(key)) throw cardData(`${what}: tag ${key} sent twice`);
    this.#values.set(key, value.slice());
  }

  get(tag: string): Uint8Array | undefined {
    return this.#values.get(tag);
  }

  /** The element `tag`, which the card must have sent, of one of `lengths` when given. */
  require(tag: string, lengths?: readonly number[]): Uint8Array {
    const value = this.#values.get(tag);
    if (value === undefined) throw cardData(`mandatory data element ${tag} is missing`);
    if (lengths !== undefined && !lengths.includes(value.length)) throw cardData(`data element ${tag}: ${value.length} bytes`);
    return value;
  }

  /** The element `tag` if present and of one of `lengths`; undefined when absent, error when malformed. */
  optional(tag: string, lengths: readonly number[]): Uint8Array | undefined {
    return this.#values.has(tag) ? this.require(tag, lengths) : undefined;
  }

  has(tag: string): boolean {
    return this.#values.has(tag);
  }
}

