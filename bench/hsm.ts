/**
 * `npm run bench:hsm [-- --quick] [--software]`: the issuer and TSM hot paths through the Hsm
 * interface, on the software backend (SoftwareHsm, in-memory key record store, as test/hsm/software-setup.ts builds
 * it) and on the PKCS#11 backend against a throwaway SoftHSM2 token (test/services/helpers/
 * softhsm.ts), each beside its floor measured in the same run: the same computation with the pure
 * emv/ or gp/ functions on clear keys. The figure to read is the ratio; ops/s are this machine's.
 *
 * - ARQC verify (EMV Book 2 §8.1), alone and with the ARPC (§8.2 method 1, Mastercard CVN 17;
 *   method 2, Visa CVN 18): the ICC master key derived from the IMK inside the HSM for every call,
 *   as an issuer host does, over 256 cards of one IMK. Checked first against the published chain
 *   vectors (test/vectors/emv, pyemv 1.5.0). Floor: derivation + session key + AC (+ ARPC) with
 *   emv/ on the clear IMK.
 * - The same with 64 calls in flight (the API is async).
 * - SCP03 session open, host side only (GPC Amd D v1.1.1 §6.2, §7.1): `scp03HostKeys` for the
 *   ISD key set, then openScp03 with sdAid (pseudo-random card challenge check, session keys,
 *   card cryptogram check, host cryptogram and C-MAC of EXTERNAL AUTHENTICATE). The card's
 *   INITIALIZE UPDATE responses were recorded from an in-process Scp03CardSession beforehand, and
 *   each EXTERNAL AUTHENTICATE is compared with the one the card accepted, so no card work is
 *   timed. Floor: the same open with plainScp03Keys (gp/ on clear keys).
 * - Audit: ARQC verify + ARPC with a sink that formats each event as a JSON log line, beside the
 *   counting sink of the other rows (what the audit trail costs the caller).
 * - Scaling: ARQC verify in 2 worker threads, one SoftwareHsm each (as two service processes
 *   would run), beside the emv/ floor in 2 threads: what both cores of a machine give.
 *
 * Best of N alternating rounds, as bench/measure.ts; heap (after GC) and RSS after each row.
 * `--quick`: fewer, shorter rounds; `--software`: skip SoftHSM2. Progress goes to stderr.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { equalCt, fromHex, toHex, xor } from '../src/bytes/index.ts';
import { encodeResponse, parseCommand, responseApdu, type ApduTransport } from '../src/apdu/index.ts';
import { kcv, randomBytes } from '../src/crypto/index.ts';
import {
  CVN_PROFILES,
  assembleAcData,
  atcDiversifier,
  deriveCommonSessionKey,
  deriveIccMasterKeyOptionA,
  deriveIccMasterKeyOptionB,
  generateAc,
  generateArpcMethod1,
  generateArpcMethod2,
  mastercardDiversifier,
  verifyAc,
  type CvnProfile,
  type CvnProfileId,
} from '../src/emv/index.ts';
import { GpError, Scp03CardSession, openScp03, plainScp03Keys, type Scp03HostKeys } from '../src/gp/index.ts';
import { Pkcs11Hsm, type ArpcInput, type AuditEvent, type AuditSink, type Hsm, type KeySpec, type OperationContext } from '../src/hsm/index.ts';
import { byName, loadCaptured, str } from '../test/emv/captured.ts';
import { EMV_CHAINS, type EmvChain } from '../test/helpers/emv-chains.ts';
import { CUSTODIANS, TEST_SCRYPT, softwareHsm } from '../test/hsm/software-setup.ts';
import type * as SoftHsmHelper from '../test/services/helpers/softhsm.ts';
import type { SoftHsmToken } from '../test/services/helpers/softhsm.ts';

const QUICK = process.argv.includes('--quick');
const SOFTWARE_ONLY = process.argv.includes('--software');
const ROUNDS = QUICK ? 8 : 25;
const BATCH_MS = QUICK ? 15 : 30;
const CARDS = 256;
const IN_FLIGHT = 64;
const PAYSHIELD_10K_TOP_TIER = 2500;
const TARGET = 50_000;
const CTX: OperationContext = { tenant: 'bench-issuer', actor: 'bench', requestId: 'bench' };

// — audit sinks —

/**
 * Counts events and keeps the last one (the cheapest sink that still receives every event), or,
 * with `jsonLines` set, also formats each as the JSON line a log shipper would get.
 */
class BenchSink implements AuditSink {
  count = 0;
  bytes = 0;
  jsonLines = false;
  last: AuditEvent | undefined;
  record(event: AuditEvent): void {
    this.count++;
    this.last = event;
    if (this.jsonLines) this.bytes += JSON.stringify(event).length + 1;
  }
}

// — timing (async form of bench/measure.ts: alternating rounds, fastest of each) —

type AsyncOp = (i: number) => Promise<unknown>;
type SyncOp = (i: number) => unknown;

async function timeAsync(fn: AsyncOp, n: number, inFlight: number): Promise<number> {
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < n) await fn(issued++);
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return Number(process.hrtime.bigint() - start) / n;
}

function timeSync(fn: SyncOp, n: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / n;
}

async function calibrate(time: (n: number) => Promise<number> | number): Promise<number> {
  let n = 64;
  for (;;) {
    const ns = (await time(n)) * n;
    if (ns > BATCH_MS * 1e6 || n > 1e7) return Math.max(64, Math.round((n * BATCH_MS * 1e6) / Math.max(ns, 1)));
    n *= 4;
  }
}

interface Row {
  readonly name: string;
  readonly op: AsyncOp;
  readonly inFlight?: number;
  readonly floorName: string;
  /** Synchronous unless `floorAsync` (then it returns a promise, awaited one at a time). */
  readonly floor: SyncOp;
  readonly floorAsync?: boolean;
  /** Runs before the row is measured and `leave` after (e.g. switching the audit sink's mode). */
  readonly enter?: () => void;
  readonly leave?: () => void;
}

interface Measured {
  readonly opNs: number;
  readonly floorNs: number;
  readonly heapMiB: number;
  readonly rssMiB: number;
}

function mib(bytes: number): number {
  return bytes / 2 ** 20;
}

async function measure(row: Row, label: string): Promise<Measured> {
  const inFlight = row.inFlight ?? 1;
  const timeOp = (n: number) => timeAsync(row.op, n, inFlight);
  const timeFloor = (n: number) => (row.floorAsync === true ? timeAsync(row.floor as AsyncOp, n, 1) : timeSync(row.floor, n));
  const nOp = await calibrate(timeOp);
  const nFloor = await calibrate(timeFloor);
  const op: number[] = [];
  const floor: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    op.push(await timeOp(nOp));
    floor.push(await timeFloor(nFloor));
    if (process.stderr.isTTY) process.stderr.write(`\r  ${label}: round ${r + 1}/${ROUNDS}, ${fmt(1e9 / Math.min(...op))} ops/s`);
  }
  process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}  ${label}: ${fmt(1e9 / Math.min(...op))} ops/s, floor ${fmt(1e9 / Math.min(...floor))} ops/s\n`);
  globalThis.gc?.();
  const mem = process.memoryUsage();
  return { opNs: Math.min(...op), floorNs: Math.min(...floor), heapMiB: mib(mem.heapUsed), rssMiB: mib(mem.rss) };
}

// — EMV transactions —

interface Transaction {
  readonly pan: string;
  readonly psn: string;
  readonly atc: Uint8Array;
  readonly unpredictableNumber: Uint8Array;
  readonly data: Uint8Array;
  readonly arqc: Uint8Array;
  readonly arpc: ArpcInput;
}

/** A1.3 with emv/ only: the AC session key of the profile (the ICC master key itself for 'none'). */
function floorSessionKey(profile: CvnProfile, mk: Uint8Array, atc: Uint8Array, un: Uint8Array): Uint8Array {
  switch (profile.acSessionKey) {
    case 'none':
      return mk;
    case 'common-atc':
      return deriveCommonSessionKey(mk, atcDiversifier(atc, 8));
    case 'mastercard-skd':
      return deriveCommonSessionKey(mk, mastercardDiversifier(atc, un));
  }
}

/** The crypto floor: what verifyArqc computes, with emv/ on the clear IMK. */
function floorVerify(profile: CvnProfile, imk: Uint8Array, t: Transaction, withArpc: boolean): Uint8Array | boolean {
  const derive = profile.masterKeyDerivation === 'option-a' ? deriveIccMasterKeyOptionA : deriveIccMasterKeyOptionB;
  const mk = derive(imk, t.pan, t.psn);
  const sk = floorSessionKey(profile, mk, t.atc, t.unpredictableNumber);
  const valid = verifyAc(sk, t.data, t.arqc, { cipher: 'tdes', padding: profile.acPadding });
  if (!valid) throw new Error('floor: the ARQC did not verify');
  if (!withArpc) return valid;
  const key = profile.arpc.key === 'icc-master-key' ? mk : sk;
  const a = t.arpc;
  return a.method === 1 ? generateArpcMethod1(key, t.arqc, a.arc) : generateArpcMethod2(key, t.arqc, a.csu, a.proprietaryData ?? new Uint8Array(0));
}

function arpcInput(profile: CvnProfile, chainVector: ReturnType<typeof byName>): ArpcInput {
  return profile.arpc.method === 1
    ? { method: 1, arc: fromHex(str(chainVector, 'arpc_rc')) }
    : { method: 2, csu: fromHex(str(chainVector, 'csu')), proprietaryData: fromHex(chainVector.inputs.prop_auth_data === null ? '' : str(chainVector, 'prop_auth_data')) };
}

/** The published chain transaction first, then `CARDS - 1` cards of random PANs whose ARQCs emv/ computes. */
function transactions(chain: EmvChain): Transaction[] {
  const profile = CVN_PROFILES[chain.profile];
  const imk = fromHex(chain.imk.ac);
  const arqcV = byName(loadCaptured('emv/arqc.json'), chain.steps.arqc);
  const arpcV = byName(loadCaptured('emv/arpc.json'), chain.steps.arpc);
  const arpc = arpcInput(profile, arpcV);
  const values = Object.fromEntries(Object.entries(chain.acElements).map(([k, v]) => [k, fromHex(v)]));
  const published: Transaction = { pan: chain.pan, psn: chain.psn, atc: fromHex(chain.atc), unpredictableNumber: fromHex(chain.un), data: assembleAcData(profile, values), arqc: fromHex(arqcV.expected), arpc };
  const floorArpc = floorVerify(profile, imk, published, true);
  if (!(floorArpc instanceof Uint8Array) || toHex(floorArpc) !== arpcV.expected) throw new Error(`${chain.profile}: the floor does not reproduce ${arpcV.name}`);
  const out = [published];
  const derive = profile.masterKeyDerivation === 'option-a' ? deriveIccMasterKeyOptionA : deriveIccMasterKeyOptionB;
  for (let i = 1; i < CARDS; i++) {
    const pan = `5${String(100_000_000_000_000 + i * 7_919_113).padStart(15, '0')}`;
    const atc = randomBytes(2);
    const un = randomBytes(4);
    const data = assembleAcData(profile, { ...values, '9F36': atc, '9F37': un });
    const mk = derive(imk, pan, '01');
    const arqc = generateAc(floorSessionKey(profile, mk, atc, un), data, { cipher: 'tdes', padding: profile.acPadding });
    out.push({ pan, psn: '01', atc, unpredictableNumber: un, data, arqc, arpc });
  }
  return out;
}

// — keys through the Hsm interface —

function componentKcv(algorithm: 'T' | 'A', component: Uint8Array): string {
  return toHex(kcv(component, algorithm === 'T' ? 'tdes-zeros' : 'aes-cmac'));
}

/** Imports `clear` as two custodian components (dual control), as a key ceremony would. */
async function importClear(hsm: Hsm, spec: Omit<KeySpec, 'owner' | 'length'>, clear: Uint8Array): Promise<string> {
  const first = randomBytes(clear.length);
  const second = xor(clear, first);
  const algorithm = spec.algorithm as 'T' | 'A';
  const components = [first, second].map((component, i) => ({ credential: CUSTODIANS[i]!, component, kcv: componentKcv(algorithm, component) }));
  return (await hsm.importComponents({ ...spec, owner: CTX.tenant, length: clear.length }, components, CTX)).id;
}

const IMK_AC: Omit<KeySpec, 'owner' | 'length'> = { usage: 'E0', algorithm: 'T', modeOfUse: 'X', exportability: 'N', label: 'IMK-AC' };
const GP = {
  enc: { usage: 'E5', algorithm: 'A', modeOfUse: 'X', exportability: 'S', label: 'GP-ENC' },
  mac: { usage: 'E5', algorithm: 'A', modeOfUse: 'X', exportability: 'S', label: 'GP-MAC' },
  dek: { usage: 'K0', algorithm: 'A', modeOfUse: 'E', exportability: 'S', label: 'GP-DEK' },
} as const satisfies Record<string, Omit<KeySpec, 'owner' | 'length'>>;

// — SCP03: recorded card answers —

const ISD = fromHex('A000000151000000');
const SCP03_KEYS = { keyVersion: 0x30, enc: randomBytes(16), mac: randomBytes(16), dek: randomBytes(16) };
const SCP03_I = 0x70; // pseudo-random card challenge, R-MAC and R-ENC supported
const SESSIONS = 64;

interface RecordedOpen {
  readonly hostChallenge: Uint8Array;
  readonly initializeUpdate: Uint8Array;
  readonly externalAuthenticate: Uint8Array;
}

/** Opens SESSIONS channels with plain keys against a real card session, recording its answers. */
async function recordOpens(): Promise<RecordedOpen[]> {
  const card = new Scp03CardSession({ keys: SCP03_KEYS, sdAid: ISD, sequenceCounter: 1, i: SCP03_I });
  const out: RecordedOpen[] = [];
  for (let s = 0; s < SESSIONS; s++) {
    let iu: Uint8Array | undefined;
    let ea: Uint8Array | undefined;
    const transport: ApduTransport = {
      transmit(bytes) {
        const command = parseCommand(bytes);
        try {
          const data = command.ins === 0x50 ? card.initializeUpdate(command) : card.externalAuthenticate(command);
          const response = encodeResponse(responseApdu(data, 0x9000));
          if (command.ins === 0x50) iu = response;
          else ea = bytes.slice();
          return Promise.resolve(response);
        } catch (e) {
          if (e instanceof GpError && e.sw !== undefined) return Promise.resolve(encodeResponse(responseApdu(new Uint8Array(0), e.sw)));
          throw e;
        }
      },
    };
    const hostChallenge = randomBytes(8);
    const session = await openScp03(transport, plainScp03Keys(SCP03_KEYS), { securityLevel: 0x33, sdAid: ISD, hostChallenge });
    session.close();
    out.push({ hostChallenge, initializeUpdate: iu!, externalAuthenticate: ea! });
  }
  return out;
}

const SW_9000 = encodeResponse(responseApdu(new Uint8Array(0), 0x9000));
const SW_6300 = encodeResponse(responseApdu(new Uint8Array(0), 0x6300));

/** Replays one recorded open: the card's INITIALIZE UPDATE answer, and 9000 only for the EXTERNAL AUTHENTICATE it accepted. */
function replay(recorded: RecordedOpen): ApduTransport {
  return {
    transmit(bytes) {
      if (bytes[1] === 0x50) return Promise.resolve(recorded.initializeUpdate);
      const ok = bytes.length === recorded.externalAuthenticate.length && equalCt(bytes, recorded.externalAuthenticate);
      return Promise.resolve(ok ? SW_9000 : SW_6300);
    },
  };
}

async function openWith(keys: Scp03HostKeys, recorded: RecordedOpen): Promise<void> {
  const session = await openScp03(replay(recorded), keys, { securityLevel: 0x33, sdAid: ISD, hostChallenge: recorded.hostChallenge });
  session.close();
}

// — the rows of one backend —

interface Backend {
  readonly name: string;
  readonly hsm: Hsm & { close(): void };
  readonly sink: BenchSink;
}

const MC = EMV_CHAINS.find((c) => c.profile === 'mastercard-17')!;
const VISA = EMV_CHAINS.find((c) => c.profile === 'visa-18')!;

interface Prepared {
  readonly rows: Row[];
}

/** Where `prepare` puts the rows the summary line quotes. */
const ROW = { mcVerify: 0, mcArpc: 1, visaVerify: 2, visaArpc: 3 } as const;

async function arqcRows(b: Backend, chain: EmvChain, txs: readonly Transaction[], imkId: string): Promise<{ verify: Row; withArpc: Row; concurrent: Row; json: Row }> {
  const id: CvnProfileId = chain.profile;
  const profile = CVN_PROFILES[id];
  const imk = fromHex(chain.imk.ac);
  const request = (hsmImk: string, t: Transaction) => ({ imk: hsmImk, profile: id, pan: t.pan, psn: t.psn, atc: t.atc, unpredictableNumber: t.unpredictableNumber, data: t.data, arqc: t.arqc });
  const pick = (i: number) => txs[i % txs.length]!;
  // the published vector through this backend first
  const first = await b.hsm.verifyArqc(request(imkId, txs[0]!), txs[0]!.arpc, CTX);
  const expected = floorVerify(profile, imk, txs[0]!, true) as Uint8Array;
  if (!first.valid || first.arpc === undefined || toHex(first.arpc) !== toHex(expected)) throw new Error(`${b.name}: ${chain.profile} does not reproduce the published ARPC`);
  const verify = async (i: number, withArpc: boolean) => {
    const t = pick(i);
    const r = await b.hsm.verifyArqc(request(imkId, t), withArpc ? t.arpc : undefined, CTX);
    if (!r.valid) throw new Error(`${b.name}: ARQC ${i} did not verify`);
    return r;
  };
  const floorName = 'emv/ on the clear IMK';
  const verifyFloor = (i: number) => floorVerify(profile, imk, pick(i), false);
  const arpcFloor = (i: number) => floorVerify(profile, imk, pick(i), true);
  return {
    verify: { name: `ARQC verify (${chain.profile})`, op: (i) => verify(i, false), floorName, floor: verifyFloor },
    withArpc: { name: `ARQC verify + ARPC method ${profile.arpc.method} (${chain.profile})`, op: (i) => verify(i, true), floorName, floor: arpcFloor },
    concurrent: { name: `  same, ${IN_FLIGHT} calls in flight`, op: (i) => verify(i, true), inFlight: IN_FLIGHT, floorName, floor: arpcFloor },
    json: {
      name: '  same, audit events as JSON lines',
      op: (i) => verify(i, true),
      floorName,
      floor: arpcFloor,
      enter: () => (b.sink.jsonLines = true),
      leave: () => (b.sink.jsonLines = false),
    },
  };
}

async function prepare(b: Backend, mcTx: readonly Transaction[], visaTx: readonly Transaction[], recorded: readonly RecordedOpen[]): Promise<Prepared> {
  const mcImk = await importClear(b.hsm, IMK_AC, fromHex(MC.imk.ac));
  const visaImk = MC.imk.ac === VISA.imk.ac ? mcImk : await importClear(b.hsm, IMK_AC, fromHex(VISA.imk.ac));
  const mc = await arqcRows(b, MC, mcTx, mcImk);
  const visa = await arqcRows(b, VISA, visaTx, visaImk);
  const set = { enc: await importClear(b.hsm, GP.enc, SCP03_KEYS.enc), mac: await importClear(b.hsm, GP.mac, SCP03_KEYS.mac), dek: await importClear(b.hsm, GP.dek, SCP03_KEYS.dek) };
  const plain = plainScp03Keys(SCP03_KEYS);
  const pickOpen = (i: number) => recorded[i % recorded.length]!;
  await openWith(await b.hsm.scp03HostKeys(set, SCP03_KEYS.keyVersion, CTX), pickOpen(0)); // fails loudly if the HSM's open is wrong
  const scp03: Row = {
    name: 'SCP03 open, host side (scp03HostKeys + openScp03)',
    op: async (i) => openWith(await b.hsm.scp03HostKeys(set, SCP03_KEYS.keyVersion, CTX), pickOpen(i)),
    floorName: 'openScp03 with plainScp03Keys',
    floor: (i) => openWith(plain, pickOpen(i)),
    floorAsync: true,
  };
  const rows = [mc.verify, mc.withArpc, visa.verify, visa.withArpc, visa.concurrent, visa.json, scp03];
  return { rows };
}

async function run(b: Backend, prepared: Prepared): Promise<Measured[]> {
  const out: Measured[] = [];
  for (const [i, row] of prepared.rows.entries()) {
    process.stderr.write(`[${b.name} ${i + 1}/${prepared.rows.length}] ${row.name}\n`);
    row.enter?.();
    try {
      out.push(await measure(row, row.name.trim()));
    } finally {
      row.leave?.();
    }
  }
  return out;
}

// — backends —

async function softwareBackend(): Promise<Backend> {
  const sink = new BenchSink();
  const { hsm } = await softwareHsm({ audit: sink });
  return { name: 'software', hsm, sink };
}

let token: SoftHsmToken | undefined;

async function pkcs11Backend(): Promise<Backend | string> {
  if (SOFTWARE_ONLY) return 'skipped (--software)';
  let helper: typeof SoftHsmHelper;
  try {
    helper = await import('../test/services/helpers/softhsm.ts');
  } catch (e) {
    return `the SoftHSM2 test helper did not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
  if (!helper.softHsmAvailable()) return 'SoftHSM2 is not installed (apt-get install softhsm2): software backend only';
  try {
    token = helper.createSoftHsmToken('opentsm-bench');
  } catch (e) {
    return `could not create a SoftHSM2 token (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
  try {
    const sink = new BenchSink();
    const hsm = await Pkcs11Hsm.open({ module: token.module, tokenLabel: token.label, pin: { value: token.pin }, audit: sink, scrypt: TEST_SCRYPT });
    await hsm.registerCustodian(CUSTODIANS[0]!, undefined, CTX);
    await hsm.registerCustodian(CUSTODIANS[1]!, CUSTODIANS[0], CTX);
    return { name: 'SoftHSM2', hsm, sink };
  } catch (e) {
    return `the PKCS#11 backend refused: ${e instanceof Error ? e.message : String(e)}`;
  }
}

// — report —

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function table(rows: readonly Row[], soft: readonly Measured[], p11: readonly Measured[] | string): void {
  const head = ['operation', 'floor ops/s', 'software ops/s', '× floor', 'heap/RSS MiB', 'SoftHSM2 ops/s', '× floor', 'heap/RSS MiB'];
  const cells = rows.map((row, i) => {
    const s = soft[i]!;
    const p = typeof p11 === 'string' ? undefined : p11.find((_, j) => j === i);
    const mem = (m: Measured) => `${m.heapMiB.toFixed(0)}/${m.rssMiB.toFixed(0)}`;
    return [
      row.name,
      fmt(1e9 / s.floorNs),
      fmt(1e9 / s.opNs),
      `${(s.opNs / s.floorNs).toFixed(2)}×`,
      mem(s),
      p === undefined ? '—' : fmt(1e9 / p.opNs),
      p === undefined ? '—' : `${(p.opNs / p.floorNs).toFixed(2)}×`,
      p === undefined ? '—' : mem(p),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
  const floors = [...new Set(rows.map((r) => r.floorName))];
  console.log(`\nfloors: ${floors.join('; ')} — each measured beside its backend (the column shows the software run's)`);
}

// — 2 worker threads —

const WORKERS = 2;
const WORKER_TAG = 'bench-hsm-worker';

interface WorkerRun {
  readonly n: number;
  readonly ms: number;
}

/** In a worker: a SoftwareHsm of its own with the Mastercard IMK; runs verify (or its floor) for the ms asked. */
async function workerMain(): Promise<void> {
  const port = parentPort!;
  const sink = new BenchSink();
  const { hsm } = await softwareHsm({ audit: sink });
  const rows = await arqcRows({ name: 'worker', hsm, sink }, MC, transactions(MC), await importClear(hsm, IMK_AC, fromHex(MC.imk.ac)));
  port.on('message', (m: { kind: 'op' | 'floor' | 'stop'; ms: number }) => {
    if (m.kind === 'stop') {
      hsm.close();
      port.close();
      return;
    }
    void (async () => {
      let n = 0;
      const start = performance.now();
      const end = start + m.ms;
      while (performance.now() < end) {
        for (let k = 0; k < 32; k++, n++) {
          if (m.kind === 'op') await rows.verify.op(n);
          else rows.verify.floor(n);
        }
      }
      port.postMessage({ n, ms: performance.now() - start } satisfies WorkerRun);
    })();
  });
  port.postMessage('ready');
}

/** Aggregate verify/s of WORKERS threads and of the floor in as many, best of the rounds; or why not. */
async function scaling(): Promise<{ op: number; floor: number } | string> {
  // a worker does not inherit the tsx loader of `--import tsx`: it registers it before importing this file
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const workers = Array.from({ length: WORKERS }, () => new Worker(boot, { eval: true, workerData: WORKER_TAG }));
  const waiting = new Map<Worker, { resolve: (m: unknown) => void; reject: (e: unknown) => void }>();
  for (const w of workers) {
    w.on('message', (m) => waiting.get(w)?.resolve(m));
    w.on('error', (e) => waiting.get(w)?.reject(e));
    w.on('exit', (code) => waiting.get(w)?.reject(new Error(`a worker exited (code ${code})`)));
  }
  try {
    const next = (w: Worker) => new Promise<unknown>((resolve, reject) => waiting.set(w, { resolve, reject }));
    await Promise.all(workers.map(next));
    const round = async (kind: 'op' | 'floor') => {
      const replies = workers.map(next);
      for (const w of workers) w.postMessage({ kind, ms: BATCH_MS * 4 });
      const runs = (await Promise.all(replies)) as WorkerRun[];
      return runs.reduce((sum, r) => sum + (r.n * 1000) / r.ms, 0);
    };
    await round('op'); // warm-up
    await round('floor');
    let op = 0;
    let floor = 0;
    for (let r = 0; r < Math.ceil(ROUNDS / 2); r++) {
      op = Math.max(op, await round('op'));
      floor = Math.max(floor, await round('floor'));
      if (process.stderr.isTTY) process.stderr.write(`\r  ${WORKERS} workers: round ${r + 1}, ${fmt(op)} verify/s`);
    }
    process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}  ${WORKERS} workers: ${fmt(op)} verify/s, floor ${fmt(floor)}/s\n`);
    waiting.clear();
    for (const w of workers) w.postMessage({ kind: 'stop', ms: 0 });
    return { op, floor };
  } catch (e) {
    return `the worker threads failed: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    setTimeout(() => void Promise.all(workers.map((w) => w.terminate())), 1000).unref();
  }
}

async function main(): Promise<void> {
  console.log(`OpenTSM HSM benchmark (node ${process.version}, ${QUICK ? 'quick: ' : ''}best of ${ROUNDS} rounds of ~${BATCH_MS} ms; × floor = µs/op ÷ floor µs/op)\n`);
  const mcTx = transactions(MC);
  const visaTx = transactions(VISA);
  const recorded = await recordOpens();

  const soft = await softwareBackend();
  const softPrepared = await prepare(soft, mcTx, visaTx, recorded);
  const p11 = await pkcs11Backend();
  let p11Prepared: Prepared | string = typeof p11 === 'string' ? p11 : '';
  if (typeof p11 !== 'string') {
    try {
      p11Prepared = await prepare(p11, mcTx, visaTx, recorded);
    } catch (e) {
      p11Prepared = `the PKCS#11 backend refused: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  const softResults = await run(soft, softPrepared);
  let p11Results: Measured[] | string = typeof p11Prepared === 'string' ? p11Prepared : [];
  if (typeof p11 !== 'string' && typeof p11Prepared !== 'string') {
    try {
      p11Results = await run(p11, p11Prepared);
    } catch (e) {
      p11Results = `the PKCS#11 backend failed during the run: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  process.stderr.write(`[software] ARQC verify (mastercard-17), ${WORKERS} worker threads\n`);
  const scaled = await scaling();
  console.log('');
  table(softPrepared.rows, softResults, p11Results);
  if (typeof scaled === 'string') console.log(`\n${WORKERS} worker threads: not measured — ${scaled}`);
  else {
    console.log(
      `\nARQC verify (mastercard-17) in ${WORKERS} worker threads, one SoftwareHsm each: ${fmt(scaled.op)} verify/s ` +
        `(floor in ${WORKERS} threads ${fmt(scaled.floor)}/s, ${(scaled.floor / scaled.op).toFixed(2)}× floor; ${(scaled.op / (1e9 / softResults[ROW.mcVerify]!.opNs)).toFixed(2)}× one thread)`,
    );
  }
  if (typeof p11Results === 'string') console.log(`\nSoftHSM2: not measured — ${p11Results}`);

  const perSec = (i: number) => 1e9 / softResults[i]!.opNs;
  const verifyPerSec = Math.min(perSec(ROW.mcVerify), perSec(ROW.visaVerify));
  const machine = typeof scaled === 'string' ? verifyPerSec : Math.max(verifyPerSec, scaled.op);
  console.log(
    `\nsoftware backend, one thread: ${fmt(perSec(ROW.mcVerify))} / ${fmt(perSec(ROW.visaVerify))} ARQC verifications/s (Mastercard CVN 17 / Visa CVN 18), ` +
      `${fmt(perSec(ROW.mcArpc))} / ${fmt(perSec(ROW.visaArpc))} verify+ARPC/s; ${(verifyPerSec / PAYSHIELD_10K_TOP_TIER).toFixed(1)}× payShield 10K's top published tier (${fmt(PAYSHIELD_10K_TOP_TIER)} calls/s)`,
  );
  const how = typeof scaled !== 'string' && scaled.op > verifyPerSec ? `${WORKERS} worker threads` : 'one thread';
  console.log(
    `target ${fmt(TARGET)} ARQC verifications/s on this machine: ${machine >= TARGET ? 'met' : 'NOT met'} ` +
      `(best: ${fmt(machine)}/s with ${how}; one thread, slower of CVN 17/18: ${fmt(verifyPerSec)}/s, ${verifyPerSec >= TARGET ? 'met' : 'not met'} on one thread)`,
  );
  console.log(`audit events recorded: software ${fmt(soft.sink.count)}${typeof p11 === 'string' ? '' : `, SoftHSM2 ${fmt(p11.sink.count)}`}`);
  soft.hsm.close();
  if (typeof p11 !== 'string') p11.hsm.close();
  token?.remove();
}

if (isMainThread) await main();
else if (workerData === WORKER_TAG) await workerMain();
