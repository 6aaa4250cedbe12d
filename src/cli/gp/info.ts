/**
 * `opentsm gp info`: what a card tells without keys (GlobalPlatformPro `-i`): ATR, the Security
 * Domain's FCI, CPLC with its dates decoded, Card Data (GP version, SCP and "i"), IIN/CIN, the Key
 * Information Template and the sequence counter. Each section reads one GET DATA (GPC 2.3.1 §11.3)
 * and says why it is missing when the card refuses it.
 */
import { describeSw, transmit } from '../../apdu/index.ts';
import { OpenTsmError, toHex } from '../../bytes/index.ts';
import {
  CPLC_FIELDS,
  GET_DATA_TAGS,
  buildGetData,
  decodeCplcDate,
  getDataValue,
  keyTypeName,
  parseCardData,
  parseCplc,
  parseKeyInformationTemplate,
  scp02Options,
  scp03Options,
  type CardRecognitionData,
  type CplcFieldName,
  type ScpOption,
} from '../../gp/index.ts';
import type { GpContext } from './context.ts';
import { table } from './table.ts';

/** CPLC fields: label, and whether the value is a `YDDD` date (GPPro CPLC.java names). */
const CPLC_LABELS: Readonly<Record<CplcFieldName, readonly [string, boolean]>> = {
  icFabricator: ['IC fabricator', false],
  icType: ['IC type', false],
  osId: ['OS ID', false],
  osReleaseDate: ['OS release date', true],
  osReleaseLevel: ['OS release level', false],
  icFabricationDate: ['IC fabrication date', true],
  icSerialNumber: ['IC serial number', false],
  icBatchIdentifier: ['IC batch identifier', false],
  icModuleFabricator: ['IC module fabricator', false],
  icModulePackagingDate: ['IC module packaging date', true],
  iccManufacturer: ['ICC manufacturer', false],
  icEmbeddingDate: ['IC embedding date', true],
  icPrePersonalizer: ['IC pre-personalizer', false],
  icPrePersonalizationEquipmentDate: ['IC pre-perso equipment date', true],
  icPrePersonalizationEquipmentId: ['IC pre-perso equipment ID', false],
  icPersonalizer: ['IC personalizer', false],
  icPersonalizationDate: ['IC personalization date', true],
  icPersonalizationEquipmentId: ['IC perso equipment ID', false],
};

/** Reads one GET DATA object outside any secure channel: its value, or why there is none. */
async function getData(ctx: GpContext, tag: number): Promise<{ data: Uint8Array } | { missing: string }> {
  const r = await transmit(ctx.transport, buildGetData(tag));
  if (r.sw !== 0x9000) return { missing: `not available (${describeSw(r.sw)})` };
  return { data: r.data };
}

/** "SCP03 i=70: pseudo-random challenge, R-MAC, R-ENCRYPTION". */
export function describeScpOption(option: ScpOption): string {
  const head = `SCP${option.scp.toString(16).toUpperCase().padStart(2, '0')} i=${option.i.toString(16).toUpperCase().padStart(2, '0')}`;
  try {
    if (option.scp === 3) {
      const o = scp03Options(option.i);
      const flags = [o.s16 ? 'S16' : 'S8', o.pseudoRandomChallenge ? 'pseudo-random challenge' : 'random challenge', o.rMac ? 'R-MAC' : '', o.rEncryption ? 'R-ENCRYPTION' : ''];
      return `${head}: ${flags.filter(Boolean).join(', ')}`;
    }
    if (option.scp === 2) {
      const o = scp02Options(option.i);
      return `${head}: ${o.pseudoRandomChallenge ? 'pseudo-random challenge' : 'random challenge'}, ${o.icvEncryption ? 'ICV encryption' : 'no ICV encryption'}`;
    }
  } catch {
    return `${head} (not supported by OpenTSM)`;
  }
  return `${head} (not supported by OpenTSM)`;
}

function cardDataLines(data: CardRecognitionData): string[] {
  return [
    `  GP version:       ${data.gpVersion ?? 'not given'}`,
    `  Identification:   ${data.cardIdentificationScheme ? 'GlobalPlatform (IIN + CIN)' : 'not given'}`,
    ...data.secureChannels.map((o) => `  Secure channel:   ${describeScpOption(o)}`),
    ...(data.configuration === undefined ? [] : [`  Configuration:    ${toHex(data.configuration)}`]),
    ...data.chipDetails.map((oid) => `  Chip details:     ${oid}`),
  ];
}

async function cplcSection(ctx: GpContext, today: Date): Promise<string[]> {
  const r = await getData(ctx, GET_DATA_TAGS.CPLC);
  if ('missing' in r) return [`CPLC: ${r.missing}`];
  const cplc = parseCplc(r.data);
  const rows = CPLC_FIELDS.map(([name]) => {
    const [label, isDate] = CPLC_LABELS[name];
    const value = cplc[name];
    const date = isDate ? decodeCplcDate(value, today) : undefined;
    return [label, toHex(value), date === undefined ? '' : date.iso];
  });
  return ['CPLC:', ...table(rows).map((l) => `  ${l}`)];
}

async function cardDataSection(ctx: GpContext): Promise<string[]> {
  const r = await getData(ctx, GET_DATA_TAGS.CARD_DATA);
  if ('missing' in r) return [`Card data: ${r.missing}`];
  return ['Card data:', ...cardDataLines(parseCardData(r.data))];
}

async function identifierSection(ctx: GpContext, tag: number, label: string): Promise<string[]> {
  const r = await getData(ctx, tag);
  return [`${label}: ${'missing' in r ? r.missing : toHex(getDataValue(r.data, tag))}`];
}

async function keyInfoSection(ctx: GpContext): Promise<string[]> {
  const r = await getData(ctx, GET_DATA_TAGS.KEY_INFORMATION);
  if ('missing' in r) return [`Key information: ${r.missing}`];
  const keys = parseKeyInformationTemplate(r.data);
  const rows = keys.map((k) => [
    k.kvn.toString(16).toUpperCase().padStart(2, '0'),
    k.keyId.toString(16).toUpperCase().padStart(2, '0'),
    k.components.map((c) => `${keyTypeName(c.type) ?? c.type.toString(16).toUpperCase()} (${c.type.toString(16).toUpperCase()}) ${c.length === 0 ? '256+' : c.length * 8}-bit`).join(' + '),
  ]);
  return ['Key information:', ...table([['KVN', 'ID', 'TYPE'], ...rows]).map((l) => `  ${l}`)];
}

async function counterSection(ctx: GpContext): Promise<string[]> {
  const r = await getData(ctx, GET_DATA_TAGS.SEQUENCE_COUNTER);
  if ('missing' in r) return [`Sequence counter: ${r.missing}`];
  const value = getDataValue(r.data, GET_DATA_TAGS.SEQUENCE_COUNTER);
  return [`Sequence counter: ${toHex(value)} (${Number.parseInt(toHex(value) || '0', 16)})`];
}

/** Prints the card's information; never opens a secure channel. */
export async function gpInfo(ctx: GpContext, today = new Date()): Promise<void> {
  const out = (lines: string[]) => lines.forEach((l) => ctx.out.out(l));
  out([`Card: ${ctx.connection.description}`, `ATR: ${toHex(ctx.connection.atr)}`]);
  try {
    const sd = await ctx.sd();
    const max = sd.fci?.maxCommandDataLength;
    out([`Security Domain: ${sd.aid === undefined ? 'selected, AID unknown' : toHex(sd.aid)}${max === undefined ? '' : ` (max command data ${max})`}`]);
  } catch (e) {
    out([`Security Domain: ${e instanceof Error ? e.message : String(e)}`]);
  }
  out(await section('CPLC', () => cplcSection(ctx, today)));
  out(await section('Card data', () => cardDataSection(ctx)));
  out(await section('IIN', () => identifierSection(ctx, GET_DATA_TAGS.IIN, 'IIN')));
  out(await section('CIN', () => identifierSection(ctx, GET_DATA_TAGS.CIN, 'CIN')));
  out(await section('Key information', () => keyInfoSection(ctx)));
  out(await section('Sequence counter', () => counterSection(ctx)));
}

/** One section; an answer that does not parse is reported in place, a dead transport ends the command. */
async function section(name: string, read: () => Promise<string[]>): Promise<string[]> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof OpenTsmError && e.code !== 'ERR_APDU_TRANSPORT') return [`${name}: unreadable answer (${e.message})`];
    throw e;
  }
}
