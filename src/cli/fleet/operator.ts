/**
 * The MNO's side of a fleet over the TSM API (docs/service.md "MNO API"): the factory batch's master
 * keys imported from their TR-31 blocks, every SE registered (in calls under the body limit), one
 * subscription per SE, and each phone's relay device token.
 */
import type { TsmClient } from '../../tsm/index.ts';
import type { Fleet, FleetPhone } from './phones.ts';

/** SEs per registration call: about 190 bytes of JSON each, well under the default 64 KiB body limit. */
const REGISTER_CHUNK = 250;

/** What the MNO registered: each SE's subscription alias (what an SP may name it by) and relay token. */
export interface RegisteredPhone {
  readonly phone: FleetPhone;
  readonly subscriptionAlias: string;
  readonly relayToken: string;
}

/** The MSISDN of phone `index` in a test range (E.164 digits). */
export function fleetMsisdn(index: number, prefix = '3361'): string {
  return `${prefix}${String(index + 1).padStart(8, '0')}`;
}

/**
 * Registers `fleet` with the TSM as the MNO of `mno` (a client of role `mno`); `kbpk` names the
 * transport KBPK (id or label) the MNO tenant shares with the factory. `onProgress` is told how
 * many phones are done.
 */
export async function registerFleet(mno: TsmClient, fleet: Fleet, kbpk: string, onProgress: (done: number) => void = () => undefined): Promise<RegisteredPhone[]> {
  const m = fleet.keyFile.masters;
  const { batchId } = await mno.call<{ batchId: string }>('POST', '/v1/mno/batches', {
    method: 'kdf3', kbpk,
    keys: { enc: { block: m.enc.keyBlock, kcv: m.enc.kcv }, mac: { block: m.mac.keyBlock, kcv: m.mac.kcv }, dek: { block: m.dek.keyBlock, kcv: m.dek.kcv } },
  });
  for (let i = 0; i < fleet.phones.length; i += REGISTER_CHUNK) {
    const items = fleet.phones.slice(i, i + REGISTER_CHUNK).map((p) => ({
      seId: p.seId, platform: fleet.platform, araAid: fleet.araAid,
      isd: { aid: p.isdAid, kvn: p.isdKvn, scp: 3, keys: { batchId, kdd: p.kdd } },
    }));
    const r = await mno.call<{ failed: number; results: { seId: string; result: string; error?: { code: string; message: string } }[] }>('POST', '/v1/mno/secure-elements', { items });
    const bad = r.results.find((x) => x.result === 'error');
    if (bad !== undefined) throw new Error(`registering ${bad.seId}: ${bad.error?.code ?? ''} ${bad.error?.message ?? ''}`);
  }
  const out: RegisteredPhone[] = [];
  for (const phone of fleet.phones) {
    const { alias } = await mno.call<{ alias: string }>('POST', '/v1/mno/subscriptions', { msisdn: fleetMsisdn(phone.index), seId: phone.seId });
    const { token } = await mno.call<{ token: string }>('POST', `/v1/mno/secure-elements/${encodeURIComponent(phone.seId)}/relay-token`);
    out.push({ phone, subscriptionAlias: alias, relayToken: token });
    onProgress(out.length);
  }
  return out;
}
