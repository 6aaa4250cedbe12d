/**
 * Relay device tokens (docs/relay.md §2): a phone's agent proves which SE it speaks for with
 * `Authorization: Bearer <seId>.<token>` (RFC 6750), where token = base64url(HMAC-SHA-256(K, label ‖
 * seId)) under the operator's HSM key labelled `relay device` (usage M7). Stateless: nothing is
 * stored per phone; the HSM compares the MAC in constant time. The token only stops one phone from
 * squatting another SE's id — the SE itself is proven by its SCP03 mutual authentication.
 */
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import { OPERATOR_TENANT, operatorContext } from '../http/credentials.ts';
import { TsmError } from '../errors.ts';

/** Label of the operator's relay token key. */
export const RELAY_KEY_LABEL = 'relay device';
/** SE ids as the registry keeps them (model.ts): 1–64 printable ASCII. */
export const SE_ID_PATTERN = /^[\x21-\x7e]{1,64}$/;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
// Domain separation: these MACs can never collide with the same key used for anything else.
const MAC_PREFIX = 'opentsm relay device v1\u0000';

function macInput(seId: string): Uint8Array {
  return new TextEncoder().encode(MAC_PREFIX + seId);
}

/** Issues and verifies relay device tokens under one HSM key. */
export class RelayTokens {
  readonly #hsm: Hsm;
  readonly #ctx: OperationContext;
  #keyId: string | undefined;

  constructor(hsm: Hsm, ctx: OperationContext = operatorContext('relay')) {
    this.#hsm = hsm;
    this.#ctx = ctx;
  }

  /** The token for `seId` (creates the operator's relay key on first use). */
  async issue(seId: string): Promise<string> {
    if (typeof seId !== 'string' || !SE_ID_PATTERN.test(seId)) throw new TsmError('ERR_TSM_REQUEST', 'seId: expected 1-64 printable ASCII characters');
    const key = (await this.#findKey()) ?? (await this.#createKey());
    return Buffer.from(await this.#hsm.generateMac(key, macInput(seId), 'hmac-sha256', this.#ctx)).toString('base64url');
  }

  /** Whether `token` is the token of `seId`; false (never an error) for any malformed input or a missing key. */
  async verify(seId: string, token: string): Promise<boolean> {
    if (typeof seId !== 'string' || typeof token !== 'string' || !SE_ID_PATTERN.test(seId) || !TOKEN_PATTERN.test(token)) return false;
    const key = await this.#findKey();
    if (key === undefined) return false;
    return this.#hsm.verifyMac(key, macInput(seId), new Uint8Array(Buffer.from(token, 'base64url')), 'hmac-sha256', this.#ctx);
  }

  async #findKey(): Promise<string | undefined> {
    if (this.#keyId !== undefined) return this.#keyId;
    const keys = (await this.#hsm.listKeys({ label: RELAY_KEY_LABEL }, this.#ctx)).filter((k) => k.status === 'active').map((k) => k.id).sort();
    this.#keyId = keys[0];
    return this.#keyId;
  }

  async #createKey(): Promise<string> {
    const key = await this.#hsm.generateKey({ usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: OPERATOR_TENANT, label: RELAY_KEY_LABEL }, this.#ctx);
    this.#keyId = key.id;
    return key.id;
  }
}

/**
 * The SE id and token of an upgrade request's `Authorization: Bearer <seId>.<token>` header;
 * undefined for any other shape. The token has no `.`, so the SE id ends at the last one.
 */
export function parseRelayAuthorization(header: string | undefined): { readonly seId: string; readonly token: string } | undefined {
  if (typeof header !== 'string' || header.length > 256) return undefined;
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  if (match === null) return undefined;
  const value = match[1]!;
  const at = value.lastIndexOf('.');
  if (at <= 0) return undefined;
  const seId = value.slice(0, at);
  const token = value.slice(at + 1);
  return SE_ID_PATTERN.test(seId) && TOKEN_PATTERN.test(token) ? { seId, token } : undefined;
}
