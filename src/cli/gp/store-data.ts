/**
 * `opentsm gp store-data HEX`: STORE DATA to the Security Domain, or with `--app AID` to an
 * application after INSTALL [for personalization] (GPC 2.3.1 §11.11, §11.5.2.3.6). The data is a
 * BER-TLV stream by default, a DGI stream with `--dgi`. With `--encrypted` it goes encrypted under
 * the DEK (`encryptSensitive`: SCP03 static DEK, SCP02 session DEK) and P1 says so: each DGI's value
 * with `--dgi` (EMV CPS), else the whole data. No padding is added: the encrypted parts must be
 * whole cipher blocks. The values never appear in output or the trace.
 */
import { concat, toHex } from '../../bytes/index.ts';
import { buildInstall, buildStoreData, type SecureChannelSession, type StoreDataFormat } from '../../gp/index.ts';
import { encodeDgi, parseDgiList } from '../../tlv/index.ts';
import { CliError } from '../errors.ts';
import { expectOk } from './card-status.ts';
import type { GpContext } from './context.ts';
import { parseAid, parseHex } from './parse.ts';

/** The options of `store-data`. */
export interface StoreDataCliOptions {
  readonly dgi?: boolean | undefined;
  readonly encrypted?: boolean | undefined;
  readonly app?: string | undefined;
}

async function encryptWhole(session: SecureChannelSession, data: Uint8Array, what: string): Promise<Uint8Array> {
  const block = session.scp === 3 ? 16 : 8;
  if (data.length === 0 || data.length % block !== 0) {
    throw new CliError('ERR_CLI_USAGE', `--encrypted: ${what} of ${data.length} bytes is not a multiple of ${block} (the DEK's block); pad it as the application expects`);
  }
  return session.encryptSensitive(data);
}

async function encryptDgis(session: SecureChannelSession, stream: Uint8Array): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const d of parseDgiList(stream)) parts.push(encodeDgi(d.tag, await encryptWhole(session, d.value, `DGI ${d.tag.toString(16).toUpperCase().padStart(4, '0')}`)));
  return concat(...parts);
}

/** Sends the data; prints the block count, never the values. */
export async function gpStoreData(ctx: GpContext, dataText: string, options: StoreDataCliOptions): Promise<void> {
  const data = parseHex(dataText, 'DATA');
  if (data.length === 0) throw new CliError('ERR_CLI_USAGE', 'store-data: DATA is empty');
  const app = options.app === undefined ? undefined : parseAid(options.app, '--app');
  const session = await ctx.session();
  if (app !== undefined) {
    expectOk(await ctx.send(buildInstall({ kind: 'personalization', applicationAid: app }), 'INSTALL [for personalization]'), 'INSTALL [for personalization]', toHex(app));
  }
  const encrypted = options.encrypted === true;
  let format: StoreDataFormat = options.dgi === true ? 'dgi' : 'ber';
  let stream = data;
  if (encrypted && format === 'dgi') stream = await encryptDgis(session, data);
  else if (encrypted) {
    stream = await encryptWhole(session, data, 'DATA');
    format = 'none';
  }
  const commands = buildStoreData(stream, { format, encryption: encrypted ? 'all' : 'none' }, session.maxPlainDataLength(false));
  for (const command of commands) expectOk(await ctx.send(command, 'STORE DATA'), 'STORE DATA', `block ${command.p2}`);
  const target = app === undefined ? `Security Domain ${toHex((await ctx.sd()).aid ?? new Uint8Array(0)) || '(selected)'}` : `application ${toHex(app)}`;
  ctx.out.out(`STORE DATA: ${data.length} bytes (${format === 'none' ? 'unformatted' : format.toUpperCase()}${encrypted ? ', encrypted' : ''}) in ${commands.length} block(s) to ${target}`);
}
