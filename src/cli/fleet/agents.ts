/**
 * The phones' wallet agents: one RelayAgent per phone, keeping a WebSocket to the TSM's relay and
 * running the APDU batches it sends on the phone's SE (docs/relay.md).
 */
import { RelayAgent } from '../../device/index.ts';
import type { RegisteredPhone } from './operator.ts';

/** The relay URL of a TSM base URL: http → ws, https → wss, path /v1/relay. */
export function relayUrl(baseUrl: string): string {
  const url = new URL('/v1/relay', baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** The running agents; `stop()` closes them all. */
export interface FleetAgents {
  readonly agents: readonly RelayAgent[];
  stop(): Promise<void>;
}

/** Starts an agent per phone and resolves once every one is connected (or rejects after `timeoutMs`). */
export async function connectAgents(baseUrl: string, phones: readonly RegisteredPhone[], options: { readonly ca?: string; readonly timeoutMs?: number } = {}): Promise<FleetAgents> {
  const url = relayUrl(baseUrl);
  const agents = phones.map((p) => new RelayAgent({ url, seId: p.phone.seId, token: p.relayToken, card: p.phone.transport, ...(options.ca === undefined ? {} : { ca: options.ca }) }));
  const stop = async (): Promise<void> => {
    await Promise.all(agents.map((a) => a.stop()));
  };
  const connected = agents.map((a) => new Promise<void>((resolve, reject) => {
    if (a.connected) return resolve();
    a.once('connected', () => resolve());
    a.once('failure', (e) => reject(e));
  }));
  for (const a of agents) a.start();
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the phones did not all connect to the relay in time')), options.timeoutMs ?? 30_000).unref());
  try {
    await Promise.race([Promise.all(connected), timeout]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { agents, stop };
}
