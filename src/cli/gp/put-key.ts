/**
 * `opentsm gp put-key`: a new ENC/MAC/DEK key set through PUT KEY (GPC 2.3.1 §11.8; GPC Amd D
 * v1.1.1 §7.2): AES keys on an SCP03 Security Domain, 3DES on SCP02. Each key is encrypted with the
 * session's `encryptSensitive` (SCP03: static DEK, AES-CBC; SCP02: session DEK, 3DES-ECB) and sent
 * with its KCV; the card's answer must repeat the KVN and KCVs, or the command fails. Only KCVs are
 * printed.
 */
import { toHex, wipe } from '../../bytes/index.ts';
import { kcv } from '../../crypto/index.ts';
import { KEY_TYPES, buildPutKey, checkPutKeyResponse, wrappedKeyEntry, type PutKeyEntry } from '../../gp/index.ts';
import { CliError } from '../errors.ts';
import { expectOk } from './card-status.ts';
import type { GpContext } from './context.ts';
import { keyFromHex, type KeyOptions } from './keys.ts';
import { parseByte } from './parse.ts';

/** The options of `put-key`, as typed (`--key-enc/--key-mac/--key-dek` are the new keys here). */
export interface PutKeyOptions extends Pick<KeyOptions, 'keyEnc' | 'keyMac' | 'keyDek'> {
  readonly newKvn?: string | undefined;
  readonly replace?: string | undefined;
}

interface NewKeys {
  readonly newKvn: number;
  readonly replaceKvn: number;
  readonly keys: readonly [Uint8Array, Uint8Array, Uint8Array];
}

/** Checks the options before the card is touched. */
export function parsePutKey(options: PutKeyOptions): NewKeys {
  if (options.newKvn === undefined) throw new CliError('ERR_CLI_USAGE', 'put-key needs --new-kvn N (1..127), the version of the new key set');
  const missing = (['keyEnc', 'keyMac', 'keyDek'] as const).filter((k) => options[k] === undefined);
  if (missing.length > 0) {
    const flags = missing.map((k) => `--${k.replace(/[A-Z]/, (c) => `-${c.toLowerCase()}`)}`);
    throw new CliError('ERR_CLI_USAGE', `put-key needs the three new keys: ${flags.join(', ')} missing (in put-key, --key-enc/--key-mac/--key-dek are the NEW keys; authenticate with --key or GP_KEY*)`);
  }
  const newKvn = parseByte(options.newKvn, '--new-kvn', 1, 0x7f); // GPC 2.3.1 §11.8.2.3: '01'-'7F'
  const replaceKvn = options.replace === undefined ? 0 : parseByte(options.replace, '--replace', 1, 0x7f);
  const keys = [keyFromHex(options.keyEnc!, 'new --key-enc'), keyFromHex(options.keyMac!, 'new --key-mac'), keyFromHex(options.keyDek!, 'new --key-dek')] as const;
  return { newKvn, replaceKvn, keys };
}

function checkLengths(scp: 2 | 3, keys: readonly Uint8Array[]): void {
  if (scp === 2 && keys.some((k) => k.length !== 16)) throw new CliError('ERR_CLI_USAGE', 'put-key: an SCP02 Security Domain takes 16-byte 3DES keys');
  if (scp === 3 && keys.some((k) => k.length !== keys[0]!.length)) throw new CliError('ERR_CLI_USAGE', 'put-key: the three SCP03 keys must have the same length (Amd D §6.1)');
  // encryptSensitive takes whole AES blocks and adds no padding: a 24-byte key does not fit (no implicit padding)
  if (scp === 3 && keys[0]!.length === 24) throw new CliError('ERR_CLI_USAGE', 'put-key: AES-192 keys are not supported here (use AES-128 or AES-256)');
}

/** Replaces or adds the key set; prints the KCVs the card confirmed. */
export async function gpPutKey(ctx: GpContext, options: PutKeyOptions): Promise<void> {
  const request = parsePutKey(options);
  try {
    const session = await ctx.session();
    checkLengths(session.scp, request.keys);
    const aes = session.scp === 3;
    const entries: PutKeyEntry[] = [];
    for (const key of request.keys) {
      const check = kcv(key, aes ? 'aes-ones' : 'tdes-zeros'); // Amd D §7.2.2: AES over 01×16; GPC B.6: DES over 00×8
      entries.push(wrappedKeyEntry({ type: aes ? KEY_TYPES.AES : KEY_TYPES.DES, keyLength: key.length, ciphertext: await session.encryptSensitive(key), kcv: check }));
    }
    const put = { replaceKvn: request.replaceKvn, newKvn: request.newKvn, firstKeyId: 1, keys: entries };
    const response = expectOk(await ctx.send(buildPutKey(put), 'PUT KEY'), 'PUT KEY', `(KVN ${hex2(request.newKvn)})`);
    checkPutKeyResponse(response.data, put);
    const kcvs = entries.map((e, i) => `${['ENC', 'MAC', 'DEK'][i]} KCV ${toHex(e.kcv)}`).join(', ');
    const how = request.replaceKvn === 0 ? 'added' : `replaced KVN ${hex2(request.replaceKvn)}`;
    ctx.out.out(`PUT KEY: KVN ${hex2(request.newKvn)} ${how} (${aes ? 'AES' : '3DES'}-${request.keys[0].length * 8}); ${kcvs}; the card confirmed the KCVs`);
  } finally {
    wipe(...request.keys);
  }
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
