/**
 * An `Authorizer` (emv/authorization.ts) over the service's `POST /v1/authorizations`: what a POS
 * terminal or the fleet uses to reach a remote issuer. Bytes become hex on the way out and back;
 * anything but a well-formed 200 is a TsmError naming the status and the public error code only.
 */
import { fromHex, toHex } from '../../bytes/index.ts';
import type { AuthorizationRequest, AuthorizationResponse, Authorizer, DeclineReason } from '../../emv/index.ts';
import { TsmError } from '../errors.ts';

export interface HttpAuthorizerOptions {
  /** The service's base URL, e.g. `https://tsm.example:8443`. */
  readonly baseUrl: string;
  /** `<client-id>.<secret>` of an issuer-role client. */
  readonly token: string;
  /** The fetch to use (default: the global one); tests and custom TLS agents pass their own. */
  readonly fetch?: typeof fetch;
  /** Per-request timeout in ms (default 10000). */
  readonly timeoutMs?: number;
}

const HEX = /^([0-9A-Fa-f]{2})*$/;

function hexOf(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string' || !HEX.test(value)) throw new TsmError('ERR_TSM_REQUEST', `authorization response ${field}: expected hex`);
  return fromHex(value);
}

/** Calls the remote issuer. */
export class HttpAuthorizer implements Authorizer {
  readonly #o: HttpAuthorizerOptions;

  constructor(options: HttpAuthorizerOptions) {
    this.#o = options;
  }

  async authorize(request: AuthorizationRequest): Promise<AuthorizationResponse> {
    const body = {
      pan: request.pan, psn: request.psn, cryptogram: toHex(request.cryptogram), cid: toHex(Uint8Array.of(request.cid & 0xff)),
      data: Object.fromEntries(Object.entries(request.data).map(([tag, value]) => [tag, toHex(value)])),
    };
    const response = await (this.#o.fetch ?? fetch)(`${this.#o.baseUrl.replace(/\/$/, '')}/v1/authorizations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#o.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.#o.timeoutMs ?? 10_000),
    });
    const json = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (response.status !== 200 || json === undefined) {
      const code = (json?.['error'] as { code?: unknown } | undefined)?.code;
      throw new TsmError('ERR_TSM_STATE', `authorization service answered ${response.status}${typeof code === 'string' ? ` ${code.slice(0, 32)}` : ''}`);
    }
    if ((json['decision'] !== 'approved' && json['decision'] !== 'declined') || typeof json['responseCode'] !== 'string' || !Array.isArray(json['scripts'])) {
      throw new TsmError('ERR_TSM_STATE', 'authorization service: the answer does not have the AuthorizationResponse shape');
    }
    return Object.freeze({
      decision: json['decision'],
      ...(typeof json['reason'] === 'string' ? { reason: json['reason'] as DeclineReason } : {}),
      responseCode: json['responseCode'],
      ...(json['issuerAuthenticationData'] === undefined ? {} : { issuerAuthenticationData: hexOf(json['issuerAuthenticationData'], 'issuerAuthenticationData') }),
      scripts: Object.freeze((json['scripts'] as unknown[]).map((s, i) => hexOf(s, `scripts[${i}]`))),
    });
  }
}
