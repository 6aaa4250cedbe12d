/**
 * The MNO's side of a fleet over the TSM API (docs/service.md "MNO API"): the factory batch's master
 * keys imported from their TR-31 blocks, every SE registered (in calls under the body limit), one
 * subscription per SE, and each phone's relay device token. A UICC fleet's SEs are registered with
 * their key file OTA entry verbatim (TARs, SCP80 key sets, SCP81 PSK, under the same KBPK) and the
 * MSISDN the trigger SMS goes to; they get no relay token (the TSM reaches them over the air).
 */
import type { TsmClient } from '../../tsm/index.ts';
import type { Fleet, FleetPhone } from './phones.ts';

/** SEs per registration call: about 190 bytes of JSON each (an eSE), well under the default 64 KiB body limit. */
const REGISTER_CHUNK = 250;
/** A UICC's item carries three TR-31 blocks more (about 1 KB): fewer per call. */
const REGISTER_CHUNK_OTA = 50;

/** What the MNO registered: each SE's subscription alias (what an SP may name it by) and relay token. */
export interface RegisteredPhone {
  readonly phone: FleetPhone;
  readonly subscriptionAlias: string;
  /** The phone's relay device token (eSE fleets; a UICC is reached over the air and has none). */
  readonly relayToken?: string;
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
  const chunk = fleet.kind === 'uicc' ? REGISTER_CHUNK_OTA : REGISTER_CHUNK;
  for (let i = 0; i < fleet.phones.length; i += chunk) {
    const items = fleet.phones.slice(i, i + chunk).map((p) => ({
      seId: p.seId, platform: fleet.platform, araAid: fleet.araAid,
      isd: { aid: p.isdAid, kvn: p.isdKvn, scp: 3, keys: { batchId, kdd: p.kdd } },
      // the factory key file's OTA entry as it comes, and the line the trigger SMS goes to
      ...(p.ota === undefined ? {} : { ota: { ...p.ota, kbpk, msisdn: fleetMsisdn(p.index) } }),
    }));
    const r = await mno.call<{ failed: number; results: { seId: string; result: string; error?: { code: string; message: string } }[] }>('POST', '/v1/mno/secure-elements', { items });
    const bad = r.results.find((x) => x.result === 'error');
    if (bad !== undefined) throw new Error(`registering ${bad.seId}: ${bad.error?.code ?? ''} ${bad.error?.message ?? ''}`);
  }
  const out: RegisteredPhone[] = [];
  for (const phone of fleet.phones) {
    const { alias } = await mno.call<{ alias: string }>('POST', '/v1/mno/subscriptions', { msisdn: fleetMsisdn(phone.index), seId: phone.seId });
    if (phone.ota !== undefined) {
      out.push({ phone, subscriptionAlias: alias });
    } else {
      const { token } = await mno.call<{ token: string }>('POST', `/v1/mno/secure-elements/${encodeURIComponent(phone.seId)}/relay-token`);
      out.push({ phone, subscriptionAlias: alias, relayToken: token });
    }
    onProgress(out.length);
  }
  return out;
}
