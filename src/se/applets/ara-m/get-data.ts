/**
 * The ARA-M's device interface: GET DATA (SEAC v1.1 §4.1, Table 4-1), `80 CA P1 P2 [Lc data] Le`.
 *
 * | P1P2 | request | response |
 * |---|---|---|
 * | FF40 | [All] | Response-ALL-REF-AR-DO 'FF40', paged (FF40 00 when there are no rules) |
 * | FF50 | [Specific], data = REF-DO | Response-AR-DO 'FF50' { AR-DO } of the rule with exactly that REF-DO; none → 6A88 |
 * | FF60 | [Next] | the next page of the pending FF40/FF50 |
 * | DF20 | [Refresh tag] | 'DF20' 08 tag |
 * | DF21 | [Config], data = Device-Config-DO 'E4' | Response-ARAM-Config-DO 'DF21' { 'E5' { 'E6' version } } |
 *
 * The rules and refresh tag answered are the aggregate with the registered ARA-Cs (aggregate.ts).
 *
 * AOSP (`AccessRuleApplet`) sends `80 CA FF 40 00`, then `80 CA FF 60 00` until it has the length
 * the first response's FF40 header states, and `80 CA DF 20 00` to decide whether to re-read.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { encodeTlv, tlv } from '../../../tlv/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { ownView, type AraView } from './aggregate.ts';
import type { AraState } from './ara-state.ts';
import { ARA_TAG, badData, encodeFfTemplate, encodeRefArDo, parseOne, parseRefDo, sameBytes } from './data-objects.ts';
import type { Pager } from './pager.ts';
import { encodeAllRules } from './store-commands.ts';

/** The SEAC interface version this ARA-M implements (major, minor, patch) for GET DATA [Config]. */
export const ARA_M_INTERFACE_VERSION: Uint8Array = Uint8Array.of(1, 1, 0);

/** The result of a GET DATA: the response, and a new state when the device reported its configuration. */
export interface GetDataOutcome {
  readonly response: ResponseApdu;
  readonly state?: AraState;
}

function noData(command: CommandApdu): void {
  if (command.data.length !== 0) throw new CardException(SW.WRONG_LENGTH, 'ARA-M: this GET DATA takes no command data');
}

/** GET DATA [Specific]: the AR-DO stored under exactly this REF-DO. */
function specific(command: CommandApdu, view: AraView): Uint8Array {
  const ref = parseRefDo(parseOne(command.data, 'GET DATA [Specific] REF-DO')).encoded;
  const rule = view.rules.find((r) => sameBytes(r.ref, ref));
  if (rule === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'ARA-M: no rule for this REF-DO');
  const ar = encodeRefArDo(rule).children?.[1];
  return encodeFfTemplate(ARA_TAG.RESPONSE_AR_DO, ar === undefined ? new Uint8Array(0) : encodeTlv(ar));
}

/** GET DATA [Config]: remembers the device's interface version, answers the ARA-M's. */
function config(command: CommandApdu, state: AraState): { data: Uint8Array; state?: AraState } {
  const e4 = parseOne(command.data, 'Device-Config-DO', { opaqueTags: [ARA_TAG.DEVICE_INTERFACE_VERSION_DO] });
  const version = e4.tag === ARA_TAG.DEVICE_CONFIG_DO && e4.children?.length === 1 ? e4.children[0] : undefined;
  if (version?.tag !== ARA_TAG.DEVICE_INTERFACE_VERSION_DO || version.value.length !== 3) {
    badData('GET DATA [Config] takes a Device-Config-DO E4 { E6 major minor patch }');
  }
  const e5 = encodeTlv(tlv(ARA_TAG.ARAM_CONFIG_DO, [tlv(ARA_TAG.DEVICE_INTERFACE_VERSION_DO, ARA_M_INTERFACE_VERSION, { opaque: true })]));
  const data = encodeTlv(tlv(ARA_TAG.RESPONSE_ARAM_CONFIG, e5));
  const known = state.deviceInterfaceVersion;
  if (known !== undefined && sameBytes(known, version.value)) return { data };
  return { data, state: { ...state, deviceInterfaceVersion: version.value.slice() } };
}

/**
 * Answers one GET DATA on `channel`; long answers are paged through `pager`. `view` is what the
 * device sees (the aggregate with the ARA-Cs; by default the ARA-M's own rules); `state` is the
 * ARA-M's own, which GET DATA [Config] updates.
 */
export function araGetData(command: CommandApdu, state: AraState, pager: Pager, channel: number, view: AraView = ownView(state)): GetDataOutcome {
  const pageSize = command.ne ?? 256;
  const ok = (data: Uint8Array): GetDataOutcome => ({ response: responseApdu(data, SW.OK) });
  switch ((command.p1 << 8) | command.p2) {
    case ARA_TAG.RESPONSE_ALL_REF_AR_DO:
      noData(command);
      return ok(pager.start(channel, encodeAllRules(view.rules), pageSize, view.refreshTag));
    case ARA_TAG.RESPONSE_AR_DO:
      return ok(pager.start(channel, specific(command, view), pageSize, view.refreshTag));
    case 0xff60:
      noData(command);
      return ok(pager.next(channel, pageSize, view.refreshTag));
    case ARA_TAG.RESPONSE_REFRESH_TAG:
      noData(command);
      return ok(encodeTlv(tlv(ARA_TAG.RESPONSE_REFRESH_TAG, view.refreshTag)));
    case ARA_TAG.RESPONSE_ARAM_CONFIG: {
      const { data, state: next } = config(command, state);
      return next === undefined ? ok(data) : { response: responseApdu(data, SW.OK), state: next };
    }
    default:
      throw new CardException(SW.INCORRECT_P1P2, 'ARA-M: unknown GET DATA tag');
  }
}
