/**
 * `opentsm se create`: manufactures a batch of virtual cards (one state file each) and the
 * operator's key file. Secrets leave only as TR-31 key blocks under the transport KEK; the KEK comes
 * from --kek-file, or is generated and written next to the key file (mode 0600) with a loud warning.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { toHex } from '../../bytes/index.ts';
import { kcv, randomBytes } from '../../crypto/index.ts';
import type { DiversificationMethod } from '../../gp/index.ts';
import { FileCardStore, kcvMethodOf, manufactureBatch, PROFILES, type OtaKeyOptions, type TransportKek } from '../../se/index.ts';
import { CliError } from '../errors.ts';
import { processOutput, type Output } from '../gp/output.ts';
import { parseByte, parseHex } from '../gp/parse.ts';

/** The options of `se create` as commander gives them. */
export interface SeCreateOptions {
  profile: string;
  count: string;
  out: string;
  iin?: string;
  firstCin?: string;
  firstIccid?: string;
  araM?: boolean;
  kekFile?: string;
  kekAlgorithm?: string;
  masterKeysFile?: string;
  kdf?: string;
  isdKvn?: string;
  ota?: string;
  force?: boolean;
}

const KEY_FILE = 'keyfile.json';
const KEK_FILE = 'transport-kek.hex';

function usage(message: string): CliError {
  return new CliError('ERR_CLI_USAGE', message);
}

/** A hex key file: hex digits, whitespace and line breaks ignored. The content is never echoed. */
function readKeyHex(path: string, what: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError('ERR_CLI_INPUT', `${what}: cannot read ${path} (${e instanceof Error && 'code' in e ? String(e.code) : 'error'})`);
  }
  return parseHex(text.replace(/\s+/g, ''), what);
}

/** The transport KEK: from --kek-file, or a new AES-256 key (returns where it must be written). */
function transportKek(o: SeCreateOptions): { kek: TransportKek; generated: boolean } {
  const algorithm = (o.kekAlgorithm ?? 'aes').toLowerCase();
  if (algorithm !== 'aes' && algorithm !== 'tdes') throw usage('--kek-algorithm: aes or tdes');
  if (o.kekFile === undefined) {
    if (algorithm !== 'aes') throw usage('a generated transport KEK is AES-256: give a TDES KEK with --kek-file');
    return { kek: { algorithm: 'aes', key: randomBytes(32) }, generated: true };
  }
  const key = readKeyHex(o.kekFile, '--kek-file');
  const lengths = algorithm === 'aes' ? [16, 24, 32] : [16, 24];
  if (!lengths.includes(key.length)) throw usage(`--kek-file: ${algorithm.toUpperCase()} KEKs are ${lengths.join(', ')} bytes long, the file holds ${key.length}`);
  return { kek: { algorithm, key }, generated: false };
}

/** Batch master keys: three hex keys (ENC, MAC, DEK) from a file, or new random ones. */
function masterKeys(o: SeCreateOptions, length: number): { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array; generated: boolean } {
  if (o.masterKeysFile === undefined) return { enc: randomBytes(length), mac: randomBytes(length), dek: randomBytes(length), generated: true };
  let lines: string[];
  try {
    lines = readFileSync(o.masterKeysFile, 'utf8').split(/\r?\n/).map((l) => l.replace(/#.*/, '').trim()).filter((l) => l !== '');
  } catch {
    throw new CliError('ERR_CLI_INPUT', `--master-keys-file: cannot read ${o.masterKeysFile}`);
  }
  if (lines.length !== 3) throw usage('--master-keys-file: three lines of hex, ENC then MAC then DEK');
  const [enc, mac, dek] = lines.map((l, i) => parseHex(l.replace(/^(enc|mac|dek)\s*[:=]\s*/i, ''), `--master-keys-file line ${i + 1}`)) as [Uint8Array, Uint8Array, Uint8Array];
  return { enc, mac, dek, generated: false };
}

function otaOption(text: string | undefined): OtaKeyOptions | false | undefined {
  if (text === undefined) return undefined;
  if (text === 'none') return false;
  if (text === 'aes' || text === 'tdes-2key' || text === 'tdes-3key') return { algorithm: text };
  throw usage('--ota: aes, tdes-2key, tdes-3key or none');
}

/** Prints progress on stderr: redrawn on a terminal, a few lines otherwise. */
function progress(out: Output, label: string): (done: number, total: number) => void {
  let shown = -1;
  return (done, total) => {
    const pct = Math.floor((done * 100) / total);
    if (pct === shown || total < 50) return;
    shown = pct;
    if (out.interactive) {
      const filled = Math.round(pct / 100 * 30);
      out.status(`${label} [${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${done}/${total}`);
      if (done === total) out.status('');
    } else if (pct > 0 && pct % 25 === 0) {
      out.err(`${label}: ${done}/${total}`);
    }
  };
}

/** Runs `se create`. */
export function seCreate(o: SeCreateOptions, out: Output = processOutput()): void {
  const profile = PROFILES.get(o.profile);
  if (profile === undefined) throw usage(`--profile: unknown profile "${o.profile}" (known: ${[...PROFILES.keys()].join(', ')})`);
  const count = Number(o.count);
  if (!/^\d+$/.test(o.count) || count < 1) throw usage('--count: a positive whole number');
  const dir = resolve(o.out);
  const keyFilePath = join(dir, KEY_FILE);
  if (existsSync(keyFilePath) && o.force !== true) throw usage(`--out: ${keyFilePath} exists; choose an empty directory or give --force`);
  const { kek, generated } = transportKek(o);
  const masters = masterKeys(o, 16); // generated: AES-128 (SCP03) or two-key 3DES (SCP02)
  const batch = manufactureBatch({
    profile,
    count,
    batchMasterKeys: masters,
    ...(o.kdf === undefined ? {} : { diversification: o.kdf as DiversificationMethod }),
    ...(o.isdKvn === undefined ? {} : { isdKvn: parseByte(o.isdKvn, '--isd-kvn', 1, 0x7f) }),
    ...(o.iin === undefined ? {} : { iin: o.iin }),
    ...(o.firstCin === undefined ? {} : { firstCin: o.firstCin }),
    ...(o.firstIccid === undefined ? {} : { firstIccid: o.firstIccid }),
    ...(otaOption(o.ota) === undefined ? {} : { otaKeys: otaOption(o.ota)! }),
    transportKek: kek,
    withAraM: o.araM === true,
    onProgress: progress(out, 'manufacturing'),
  });
  mkdirSync(dir, { recursive: true });
  const writing = progress(out, 'writing card files');
  batch.cards.forEach((card, i) => {
    new FileCardStore(join(dir, card.entry.stateFile)).save(card.state);
    writing(i + 1, batch.cards.length);
  });
  // the KEK first: a key file without its KEK would be a batch nobody can import
  if (generated) writeFileSync(join(dir, KEK_FILE), `${toHex(kek.key)}\n`, { mode: 0o600 });
  writeFileSync(keyFilePath, batch.keyFileText, { mode: 0o600 });
  report(out, batch.keyFile, { dir, keyFilePath, generatedKek: generated, generatedMasters: masters.generated, kek });
}

function report(
  out: Output,
  file: ReturnType<typeof manufactureBatch>['keyFile'],
  x: { dir: string; keyFilePath: string; generatedKek: boolean; generatedMasters: boolean; kek: TransportKek },
): void {
  const m = file.isd.masterKeys;
  const first = file.cards[0]!;
  const last = file.cards[file.cards.length - 1]!;
  out.out(`Manufactured ${file.cards.length} ${file.profile.id} card(s) in ${x.dir}`);
  out.out(`  card files   ${first.stateFile}${file.cards.length > 1 ? ` … ${last.stateFile}` : ''}`);
  out.out(`  ISD          ${file.isd.aid} SCP${file.isd.scp} i=${file.isd.i} KVN ${file.isd.kvn}, keys diversified (${file.isd.diversification}) from the batch masters`);
  out.out(`  masters      ENC ${m.enc.kcv}  MAC ${m.mac.kcv}  DEK ${m.dek.kcv}  (KCV ${m.enc.kcvMethod}${x.generatedMasters ? ', generated' : ''})`);
  if (first.scp80.length > 0) out.out(`  SCP80        ${first.scp80.map((k) => `KVN ${k.kvn} ${k.algorithm}`).join(', ')}; TARs ${first.tars.map((t) => t.tar).join(' ')}`);
  if (first.scp81 !== undefined) out.out(`  SCP81        PSK KVN ${first.scp81.kvn}, one per card`);
  if (first.araM) out.out('  ARA-M        A00000015141434C00 installed');
  out.out(`  key file     ${x.keyFilePath} (TR-31 version ${file.keyBlocks.version} under the transport KEK, KCV ${file.transportKek.kcv})`);
  if (x.generatedKek) {
    const kekPath = join(x.dir, KEK_FILE);
    const bar = '!'.repeat(78);
    out.err(bar);
    out.err('!! A NEW TRANSPORT KEK WAS GENERATED AND WRITTEN IN CLEAR (mode 0600) TO:');
    out.err(`!!   ${kekPath}   (AES-256, KCV ${toHex(kcv(x.kek.key, kcvMethodOf('aes'), 3))})`);
    out.err('!! Whoever reads that file can unwrap every key in the key file. Import it into');
    out.err('!! your HSM under dual control, then delete it. Next time pass --kek-file.');
    out.err(bar);
  }
}

const HELP_AFTER = `
Writes DIR/card-<ICCID or CIN>.json per card (mode 0600: a card's memory holds its keys) and
DIR/keyfile.json: per card the ICCID, CIN, KDD, CPLC, SCP, KVN, TARs and key check values; the
batch master keys and every per-card OTA key and PSK only as TR-31 key blocks under the transport KEK.

Examples:
  opentsm se create --profile strict-uicc --count 1000 --out batch-01 --iin 89999 --ara-m
  opentsm se create --profile strict-ese --count 10 --out ese --kek-file kek.hex --master-keys-file masters.txt`;

/** Registers `opentsm se create` (under an existing `se` command if another file made one). */
export function registerSeCreate(program: Command): void {
  const se = program.commands.find((c) => c.name() === 'se') ?? program.command('se').description('virtual Secure Elements: manufacture cards');
  se.command('create')
    .description('manufacture a batch of virtual cards and the operator key file')
    .requiredOption('--profile <id>', `card profile: ${[...PROFILES.keys()].join(', ')}`)
    .requiredOption('--count <n>', 'number of cards')
    .requiredOption('--out <dir>', 'directory for the card files and keyfile.json')
    .option('--iin <digits>', 'Issuer Identification Number (GET DATA 42)')
    .option('--first-cin <digits>', 'first Card Image Number, up to 16 digits (default 1)')
    .option('--first-iccid <digits>', 'first ICCID without its Luhn digit, 18 or 19 digits (UICC profiles)')
    .option('--ara-m', 'preinstall the ARA-M (GP Secure Element Access Control)')
    .option('--kek-file <file>', 'transport KEK in hex (default: generate an AES-256 KEK next to the key file)')
    .option('--kek-algorithm <alg>', 'aes (TR-31 version D, default) or tdes (version B)')
    .option('--master-keys-file <file>', 'batch master keys: three hex lines ENC, MAC, DEK (default: generated)')
    .option('--kdf <method>', 'ISD key diversification: kdf3 (SCP03, default), emv (SCP02, default) or visa2')
    .option('--isd-kvn <n>', 'ISD key version (default 0x30 for SCP03, 0x20 for SCP02)')
    .option('--ota <alg>', 'SCP80 key set algorithm: aes (UICC default), tdes-2key, tdes-3key, or none')
    .option('--force', 'overwrite an existing batch in --out')
    .addHelpText('after', HELP_AFTER)
    .action((opts: SeCreateOptions) => seCreate(opts));
}
