/**
 * The demo's TSM service: the Fastify app of `opentsm serve` on a loopback port of this process, with
 * an issuer API client, so the POS terminals authorize over HTTP (`POST /v1/authorizations`) and the
 * cards are registered through `POST /v1/issuer/cards`, as a remote issuer would be reached. Plain
 * HTTP on 127.0.0.1 only: the demo's development mode (docs/service.md §1); production serves HTTPS.
 */
import type { AddressInfo } from 'node:net';
import type { Hsm } from '../../hsm/index.ts';
import type { StoreDb } from '../../store/index.ts';
import { HttpAuthorizer, addApiClient, buildApp, type PaymentCardRecord } from '../../tsm/index.ts';
import { CliError } from '../errors.ts';

export interface DemoService {
  readonly baseUrl: string;
  readonly authorizer: HttpAuthorizer;
  /** Registers a card with the issuer over the API; returns its id. */
  registerCard(card: PaymentCardRecord, keys: { readonly imkAc: string; readonly imkSmi: string; readonly imkSmc: string }): Promise<string>;
  close(): Promise<void>;
}

/** Starts the service on 127.0.0.1 (a free port) with an issuer client of `tenant`. */
export async function startDemoService(db: StoreDb, hsm: Hsm, tenant: string): Promise<DemoService> {
  const app = buildApp({ db, hsm, config: { bodyLimit: 64 * 1024, logLevel: 'warn' } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const { token } = await addApiClient(db, hsm, { tenant, role: 'issuer' });
  return {
    baseUrl,
    authorizer: new HttpAuthorizer({ baseUrl, token }),
    async registerCard(card, keys) {
      const response = await fetch(`${baseUrl}/v1/issuer/cards`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ pan: card.pan, psn: card.psn, profile: card.profile, ...keys }),
      });
      const json = (await response.json()) as { cardId?: unknown; error?: { code?: unknown } };
      if (response.status !== 201 || typeof json.cardId !== 'string') throw new CliError('ERR_CLI_INPUT', `RegisterIssuerCard answered ${response.status} ${typeof json.error?.code === 'string' ? json.error.code : ''}`);
      return json.cardId;
    },
    close: () => app.close(),
  };
}
