import { SW, type CommandApdu, type ResponseApdu } from '../../apdu/index.ts';
import { assertInt, concat } from '../../bytes/index.ts';
import { GpError } from '../errors.ts';
import { badArgument } from './fail.ts';
import { buildGetStatus, type GetStatusQuery } from './get-status.ts';
import { encodeLegacyRegistryEntries, encodeRegistryEntries, parseGetStatusResponse, type RegistryEntry, type RegistryEntryFields } from './registry.ts';

/** Sends one command and returns the card's answer (a transport, or a secure-channel session). */
export type CommandSender = (command: CommandApdu) => Promise<ResponseApdu>;

/**
 * Reads a whole registry scope, following '6310' with GET STATUS [get next] (GPC 2.3.1 §11.4.2.2,
 * Table 11-38) until '9000'. '6A88' on the first page means "nothing matches" (Table 11-39) and
 * gives an empty list; any other status word is `ERR_GP_STATUS` carrying it. At most `maxPages`
 * commands are sent, so a card that answers '6310' forever cannot hang the caller.
 * @example await getStatusAll(send, { scope: 'applications' })
 */
export async function getStatusAll(
  send: CommandSender,
  query: GetStatusQuery,
  options: { cla?: number; maxPages?: number } = {},
): Promise<readonly RegistryEntry[]> {
  const maxPages = options.maxPages ?? 64;
  assertInt(maxPages, 1, 4096, 'maxPages');
  const entries: RegistryEntry[] = [];
  for (let page = 0; page < maxPages; page++) {
    const command = buildGetStatus({ ...query, next: page > 0 }, { cla: options.cla });
    const response = await send(command);
    if (page === 0 && response.sw === SW.REFERENCED_DATA_NOT_FOUND) return Object.freeze([]);
    if (response.sw !== SW.OK && response.sw !== SW.MORE_DATA_AVAILABLE) {
      throw new GpError('ERR_GP_STATUS', `GET STATUS ${query.scope}: card answered ${response.sw.toString(16).toUpperCase()}`, { sw: response.sw });
    }
    entries.push(...parseGetStatusResponse(response.data, { scope: query.scope, format: query.format }));
    if (response.sw === SW.OK) return Object.freeze(entries);
  }
  throw new GpError('ERR_GP_STATUS', `GET STATUS ${query.scope}: still '6310' after ${maxPages} pages`, { sw: SW.MORE_DATA_AVAILABLE });
}

/**
 * Card side: splits registry entries into GET STATUS response pages of at most `maxLength` bytes
 * (default 256, GPC 2.3.1 §11.1.5), whole entries only. Answer every page but the last with '6310'
 * (Table 11-38) and the last with '9000'. An empty registry gives no pages (answer '6A88').
 */
export function paginateRegistry(
  entries: readonly RegistryEntryFields[],
  options: { format: 'tag' | 'legacy'; scope: GetStatusQuery['scope']; maxLength?: number },
): readonly Uint8Array[] {
  const maxLength = options.maxLength ?? 256;
  assertInt(maxLength, 1, 65536, 'maxLength');
  const encode = (e: RegistryEntryFields): Uint8Array =>
    options.format === 'tag' ? encodeRegistryEntries([e]) : encodeLegacyRegistryEntries([e], options.scope);
  const pages: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  let size = 0;
  for (const e of entries) {
    const bytes = encode(e);
    if (bytes.length > maxLength) throw badArgument(`registry entry of ${bytes.length} bytes exceeds a page of ${maxLength}`);
    if (size + bytes.length > maxLength) {
      pages.push(concat(...current));
      current = [];
      size = 0;
    }
    current.push(bytes);
    size += bytes.length;
  }
  if (current.length > 0) pages.push(concat(...current));
  return Object.freeze(pages);
}
