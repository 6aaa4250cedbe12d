/**
 * GET DATA (GPC 2.3.1 §11.3): card and Security Domain data objects, answered as the whole TLV.
 * No secure channel is needed (Table 11-2); inside one, the response is protected as usual.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { GET_DATA_TAGS, KEY_TYPES, encodeKeyInformationTemplate, parseGetDataCommand } from '../../../gp/index.ts';
import { encodeTlv, tlv } from '../../../tlv/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { recognitionData } from '../recognition-data.ts';
import { isIsd } from '../registry.ts';
import { currentSd, type SdCommandContext } from '../sd-context.ts';

const CPLC = 0x9f7f;

export function getData(command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const { tag } = parseGetDataCommand(command);
  const state = ctx.manager.model.state;
  const app = currentSd(ctx);
  const isd = isIsd(state, ctx.sdAid);
  const ok = (value: Uint8Array) => responseApdu(encodeTlv(tlv(tag, value)), SW.OK);
  switch (tag) {
    case CPLC:
      if (!isd || ctx.manager.profile.quirks.noCplc) break;
      return ok(state.cplc);
    case GET_DATA_TAGS.IIN:
      if (app.sd.iin === undefined) break;
      return ok(app.sd.iin);
    case GET_DATA_TAGS.CIN:
      if (app.sd.cin === undefined) break;
      return ok(app.sd.cin);
    case GET_DATA_TAGS.CARD_DATA:
      // §7.4.1.3 / §7.4.2.3: Card Recognition Data (ISD) or SD Management Data, inside tag 66 (as stored by STORE DATA, §11.11.2.3)
      return responseApdu(app.sd.cardData ?? encodeTlv(tlv(0x66, [recognitionData(app.sd.scp)])), SW.OK);
    case GET_DATA_TAGS.KEY_INFORMATION:
      return responseApdu(keyInformation(ctx), SW.OK);
    case GET_DATA_TAGS.SEQUENCE_COUNTER: {
      const set = app.sd.keySets[0];
      if (set === undefined) break;
      const width = app.sd.scp.protocol === 3 ? 3 : 2; // SCP02: 2 bytes (§E.4.1); SCP03: 3 bytes (Amd D §6.2.2.1)
      return ok(Uint8Array.from({ length: width }, (_, i) => (set.counter >> (8 * (width - 1 - i))) & 0xff));
    }
    default:
      break;
  }
  throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'GET DATA: data object not available');
}

/** Key Information Template E0 (§11.3.3.1.1, basic format; extended format when a key carries usage or access). */
function keyInformation(ctx: SdCommandContext): Uint8Array {
  const { sd } = currentSd(ctx);
  const reportAs = (type: number) => (ctx.manager.profile.quirks.keyInfoReportsAesAsDes && type === KEY_TYPES.AES ? KEY_TYPES.DES : type);
  const keys = sd.keySets.flatMap((set) =>
    set.keys.map((k) => {
      const extended = k.usage !== undefined || k.access !== undefined;
      return {
        format: extended ? ('extended' as const) : ('basic' as const),
        keyId: k.id,
        kvn: set.kvn,
        // Table 11-28: in the basic format a length of 256 or more is coded 00
        components: (k.components ?? [k]).map((c) => ({ type: reportAs(c.type), length: extended || c.value.length < 256 ? c.value.length : 0 })),
        usage: k.usage,
        access: k.access === undefined ? undefined : Uint8Array.of(k.access),
      };
    }),
  );
  return encodeKeyInformationTemplate(keys);
}
