/**
 * The payment chain's figures for `npm run bench` (issue: the payment application), each beside the
 * cryptography it cannot avoid, measured in the same run with node:crypto and emv/ on clear keys:
 *
 * - A complete contactless transaction in one process: POS terminal (PPSE, GPO, records, fDDA over
 *   the CA → issuer → ICC chain, GENERATE AC for the Mastercard-style flow), the virtual SE's payment
 *   applet (ATC, session key, ARQC, the fDDA RSA signature), and the issuer (PAN index, HSM ARQC
 *   verification + ARPC on the software HSM, ATC check in SQLite). Floor: one RSA-1024 CRT private
 *   operation, three RSA public operations (1408, 1152, 1024 bits) with their SHA-1s, and the EMV key
 *   derivations and MACs of card and issuer, with an HMAC-SHA-256.
 * - Issuer verifications: IssuerService.authorize on ARQCs the card made, then the HSM's verifyArqc
 *   alone on the same requests, beside the clear-key verify + ARPC floor.
 */
import { constants, createHash, createHmac, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { CVN_PROFILES, deriveCommonSessionKey, deriveIccMasterKeyOptionA, generateAc, generateArpcMethod1, mastercardDiversifier, type AuthorizationRequest, type AuthorizationResponse } from '../src/emv/index.ts';
import { PosTerminal } from '../src/device/index.ts';
import { softwareSetup } from '../test/hsm/software-setup.ts';
import { E2E_PROFILES, paymentWorld, provisionCard, tap, type PaymentWorld, type ProvisionedCard } from '../test/e2e/payment-world.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

/** The floor of one transaction: the crypto of card, terminal and issuer on clear keys (node:crypto, emv/). */
function transactionFloor(): () => void {
  const icc = generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 3 });
  const keys = [1408, 1152, 1024].map((bits) => generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 3 }).publicKey);
  const blocks = [176, 144, 128].map((n) => { const b = randomBytes(n); b[0] = 0x6a & 0x7f; return b; });
  const iccBlock = randomBytes(128);
  iccBlock[0] = 0x6a;
  const imk = new Uint8Array(randomBytes(16));
  const mk = deriveIccMasterKeyOptionA(imk, '4761730000000010', '01');
  const data = new Uint8Array(randomBytes(48));
  const atc = Uint8Array.of(0, 1);
  const un = new Uint8Array(randomBytes(4));
  const hmacKey = randomBytes(32);
  return () => {
    // card: session key, ARQC, fDDA signature
    const sk = deriveCommonSessionKey(mk, mastercardDiversifier(atc, un));
    const ac = generateAc(sk, data, { cipher: 'tdes', padding: 2 });
    privateDecrypt({ key: icc.privateKey, padding: constants.RSA_NO_PADDING }, iccBlock);
    // terminal: CA → issuer → ICC recovery and the SDAD, each with its SHA-1
    for (let i = 0; i < 3; i++) {
      publicEncrypt({ key: keys[i]!, padding: constants.RSA_NO_PADDING }, blocks[i]!);
      createHash('sha1').update(blocks[i]!).digest();
    }
    // issuer: PAN index, ICC MK, session key, verify, ARPC
    createHmac('sha256', hmacKey).update('4761730000000010/01').digest();
    const mk2 = deriveIccMasterKeyOptionA(imk, '4761730000000010', '01');
    const sk2 = deriveCommonSessionKey(mk2, mastercardDiversifier(atc, un));
    generateAc(sk2, data, { cipher: 'tdes', padding: 2 });
    generateArpcMethod1(mk2, ac, Uint8Array.of(0x30, 0x30));
  };
}

/** The issuer-side floor alone: ICC MK, session key, MAC verify, ARPC on clear keys. */
function verifyFloor(): () => void {
  const imk = new Uint8Array(randomBytes(16));
  const data = new Uint8Array(randomBytes(48));
  const atc = Uint8Array.of(0, 1);
  const un = new Uint8Array(randomBytes(4));
  return () => {
    const mk = deriveIccMasterKeyOptionA(imk, '4761730000000010', '01');
    const sk = deriveCommonSessionKey(mk, mastercardDiversifier(atc, un));
    const ac = generateAc(sk, data, { cipher: 'tdes', padding: 2 });
    generateArpcMethod1(mk, ac, Uint8Array.of(0x30, 0x30));
  };
}

function floorNs(fn: () => void, ms = 300): number {
  for (let i = 0; i < 20; i++) fn();
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    let n = 0;
    const start = process.hrtime.bigint();
    const end = performance.now() + ms / 5;
    while (performance.now() < end) { fn(); n++; }
    best = Math.min(best, Number(process.hrtime.bigint() - start) / n);
  }
  return best;
}

async function rateOf(seconds: number, step: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 20; i++) await step();
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) { await step(); n++; }
  return (n * 1000) / (performance.now() - start);
}

/** Requests the card really made (the terminal's authorizer records and declines without going online). */
async function cardRequests(world: PaymentWorld, card: ProvisionedCard, n: number): Promise<AuthorizationRequest[]> {
  const requests: AuthorizationRequest[] = [];
  const recorder = { authorize: (r: AuthorizationRequest): Promise<AuthorizationResponse> => { requests.push(r); return Promise.resolve({ decision: 'declined', reason: 'data-invalid', responseCode: '05', scripts: [] }); } };
  const terminal = new PosTerminal({ ...world.terminalOptions, authorizer: recorder });
  for (let i = 0; i < n; i++) await terminal.transact(card.transport, { amount: 1500, currency: 978, country: 250, date: '261127' });
  return requests;
}

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(1));

async function main(): Promise<void> {
  process.stderr.write('payment bench: provisioning cards (software HSM, SQLite in memory)…\n');
  const world = await paymentWorld(softwareSetup);
  try {
    const txFloor = floorNs(transactionFloor());
    const rows: string[][] = [];
    for (const p of E2E_PROFILES) {
      const cards: ProvisionedCard[] = [];
      for (let i = 0; i < 4; i++) cards.push(await provisionCard(world, { ...p, pan: `${p.pan.slice(0, 13)}${i}${p.pan.slice(14)}` }));
      let k = 0;
      let failures = 0;
      process.stderr.write(`  ${p.profile} (${p.flow}): tapping for ${SECONDS} s…\n`);
      const perSecond = await rateOf(SECONDS, async () => {
        const o = await tap(world, cards[k++ % cards.length]!);
        if (o.kind !== 'approved') failures++;
      });
      if (failures > 0) throw new Error(`${failures} taps were not approved`);
      rows.push([`contactless transaction, ${p.profile} (${p.flow})`, fmt(perSecond), (1e6 / perSecond).toFixed(0), 'card + terminal + issuer crypto', (txFloor / 1000).toFixed(0), `${((1e9 / perSecond) / txFloor).toFixed(1)}×`]);
    }
    const card = await provisionCard(world, { ...E2E_PROFILES[1]!, pan: '4761730000000990' });
    const N = 1500;
    process.stderr.write(`  issuer: ${N} ARQCs from the card…\n`);
    const requests = await cardRequests(world, card, N);
    const vFloor = floorNs(verifyFloor());
    let i = 0;
    const start = performance.now();
    for (const r of requests) if ((await world.issuer.authorize(r)).decision !== 'approved') throw new Error('an issuer verification declined');
    const authPerSecond = (requests.length * 1000) / (performance.now() - start);
    const issuerKeys = world.issuerKeys;
    const hsmPerSecond = await rateOf(Math.min(SECONDS, 2), async () => {
      const r = requests[i++ % requests.length]!;
      const atc = r.data['9F36']!;
      const ac = await world.t.hsm.verifyArqc({
        imk: issuerKeys.imkAc, profile: 'mastercard-17', pan: r.pan, psn: r.psn, atc, unpredictableNumber: r.data['9F37']!,
        data: assembled(r), arqc: r.cryptogram,
      }, { method: 1, arc: Uint8Array.of(0x30, 0x30) }, world.t.ctx);
      if (!ac.valid) throw new Error('HSM verify failed');
    });
    rows.push(['issuer authorization (IssuerService.authorize)', fmt(authPerSecond), (1e6 / authPerSecond).toFixed(1), 'clear-key MK + SK + verify + ARPC', (vFloor / 1000).toFixed(1), `${((1e9 / authPerSecond) / vFloor).toFixed(1)}×`]);
    rows.push(['  of which HSM verifyArqc + ARPC', fmt(hsmPerSecond), (1e6 / hsmPerSecond).toFixed(1), 'clear-key MK + SK + verify + ARPC', (vFloor / 1000).toFixed(1), `${((1e9 / hsmPerSecond) / vFloor).toFixed(1)}×`]);
    const head = ['operation', 'per s', 'µs/op', 'floor', 'µs', 'ratio'];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    const line = (cells: string[]) => cells.map((x, c) => (c === 0 || c === 3 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ');
    console.log('\nPayment chain (one process, one thread; software HSM, SQLite in memory)\n');
    console.log(line(head));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) console.log(line(r));
    console.log(`\npeak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  } finally {
    await world.close();
  }
}

/** The cryptogram input of a mastercard-17 request (the issuer service's own assembly is what authorize times). */
function assembled(r: AuthorizationRequest): Uint8Array {
  const iad = r.data['9F10']!;
  const values: Record<string, Uint8Array> = { ...r.data, CVR: iad.slice(2, 8), COUNTERS: iad.slice(10, 18) };
  const parts = CVN_PROFILES['mastercard-17'].acData.map((e) => values[e.id]!);
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

await main();
