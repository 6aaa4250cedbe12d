/**
 * The CAP-load line of bench/tsm.ts: the same deploy with a ~10 KB CAP file LOADed through the
 * bank's SSD first (issue 6: "a second line with a 10 KB CAP load added").
 *
 * The fleet's cards are manufactured with the payment package preloaded, and Executable Module AIDs
 * are unique on a card (GPC 2.3.1 §6.5.1.1), so this line first gives each phone a card without it:
 * the same card state with the preloaded file renamed to a PPSE-only load file (the PPSE instance
 * follows it), so that the payment package's AID and its module's AID are free. The CAP is the
 * test vectors' CAP (gp/misc.json, gppro-cap-lfdb) rewritten with the payment package's AID and
 * module AID (so the card binds the installed instance to the payment applet, which then
 * personalizes as in the first line), its Method component padded with random bytes to ~10 KB.
 */
import { randomBytes } from 'node:crypto';
import { zipSync } from 'fflate';
import { fromHex, toHex } from '../src/bytes/index.ts';
import { CAP_LOAD_ORDER, parseCapFile } from '../src/gp/index.ts';
import { DEFAULT_APPLET_LIBRARY, MemoryCardStore, PAYMENT_LOAD_FILE_AID, PAYMENT_MODULE_AID, VirtualSecureElement } from '../src/se/index.ts';
import type { ApiJob } from '../src/tsm/index.ts';
import { DEMO_PRODUCTS, DEMO_SSD, DEMO_WALLET_CERT_HASH, demoCard } from '../src/cli/demo/cards.ts';
import { DEMO_KEYS } from '../src/cli/demo/ceremony.ts';
import type { DemoWorld } from '../src/cli/demo/world.ts';
import { splitComponents } from '../test/gp/cm/helpers.ts';
import { loadVectors } from '../test/helpers/vectors.ts';

/** The renamed preloaded file on the CAP line's cards (its one module: the PPSE). */
const PPSE_ONLY_LOAD_FILE_AID = fromHex('F04F50454E54534D51');

/** Directory component_sizes index of each component (JCVM 2.2 §6.5, by tag − 1). */
const DIRECTORY_INDEX: Readonly<Record<string, number>> = { Header: 0, Applet: 2, Method: 6 };

const component = (tag: number, info: Uint8Array): Uint8Array => Uint8Array.of(tag, info.length >> 8, info.length & 0xff, ...info);

/** The test CAP with `packageAid`, one applet `moduleAid`, its Method component padded so the Load File Data Block is about `size` bytes. */
export function paddedCap(packageAid: Uint8Array, moduleAid: Uint8Array, size: number): Uint8Array {
  const vector = loadVectors<{ vectors: { id: string; code_hex: string }[] }>('gp/misc.json').vectors.find((v) => v.id === 'gppro-cap-lfdb')!;
  const parts = splitComponents(fromHex(vector.code_hex));
  // Header (§6.4): magic(4) minor major flags, package_info: minor major AID_length AID
  const h = parts.get('Header')!.subarray(3);
  const oldLen = h[9]!;
  parts.set('Header', component(1, Uint8Array.of(...h.subarray(0, 9), packageAid.length, ...packageAid, ...h.subarray(10 + oldLen))));
  // Applet (§6.6): count, then AID_length AID install_method_offset(2) — keep the first applet's offset
  const a = parts.get('Applet')!.subarray(3);
  const aidLen = a[1]!;
  parts.set('Applet', component(3, Uint8Array.of(1, moduleAid.length, ...moduleAid, a[2 + aidLen]!, a[3 + aidLen]!)));
  const current = CAP_LOAD_ORDER.reduce((n, [name]) => n + (parts.get(name)?.length ?? 0), 0);
  const m = parts.get('Method')!.subarray(3);
  parts.set('Method', component(7, Uint8Array.of(...m, ...randomBytes(Math.max(0, size - current)))));
  // Directory (§6.5): component_sizes u2[] after the tag and size
  const dir = parts.get('Directory')!.slice();
  for (const [name, index] of Object.entries(DIRECTORY_INDEX)) {
    const n = parts.get(name)!.length - 3;
    dir[3 + 2 * index] = n >> 8;
    dir[4 + 2 * index] = n & 0xff;
  }
  parts.set('Directory', dir);
  const files: Record<string, Uint8Array> = { 'META-INF/MANIFEST.MF': new TextEncoder().encode('Manifest-Version: 1.0\n') };
  for (const [name, bytes] of parts) files[`com/example/bench/javacard/${name}.cap`] = bytes;
  return zipSync(files, { level: 6 });
}

/** Each phone of `world` gets a card without the payment package (the same state otherwise). */
function withoutPaymentPackage(world: DemoWorld): VirtualSecureElement[] {
  const cards: VirtualSecureElement[] = [];
  const payment = toHex(PAYMENT_LOAD_FILE_AID);
  for (const registered of world.phones) {
    const state = registered.phone.se.state;
    const next = {
      ...state,
      loadFiles: state.loadFiles.map((f) => (toHex(f.aid) !== payment ? f : { ...f, aid: PPSE_ONLY_LOAD_FILE_AID.slice(), modules: f.modules.filter((mod) => toHex(mod.aid) !== toHex(PAYMENT_MODULE_AID)) })),
      applications: state.applications.map((app) => (app.loadFileAid === undefined || toHex(app.loadFileAid) !== payment ? app : { ...app, loadFileAid: PPSE_ONLY_LOAD_FILE_AID.slice() })),
    };
    const se = new VirtualSecureElement(new MemoryCardStore(next), { library: DEFAULT_APPLET_LIBRARY });
    cards.push(se);
    registered.phone.transport.transmit = (c) => Promise.resolve(se.process(c));
  }
  return cards;
}

export interface CapLine {
  readonly capBytes: number;
  readonly lfdbBytes: number;
  /** The phones' cards on this line (they replace the fleet's). */
  readonly cards: readonly VirtualSecureElement[];
  readonly deploy: (phone: DemoWorld['phones'][number]) => Promise<ApiJob>;
}

/** Sets `world` up for the CAP line: the cards, two services whose flavour carries the CAP; the deploy of one phone. */
export async function capService(world: DemoWorld, size = 10 * 1024): Promise<CapLine> {
  const cards = withoutPaymentPackage(world);
  const cap = paddedCap(PAYMENT_LOAD_FILE_AID, PAYMENT_MODULE_AID, size);
  const lfdbBytes = parseCapFile(cap).loadFileDataBlock.length;
  const issuer = world.parties.issuer;
  const serviceIds: string[] = [];
  for (const product of DEMO_PRODUCTS) {
    const created = await world.sp.call<{ serviceId: string }>('POST', '/v1/sp/services', {
      name: `${product.name} (CAP)`, walletCertHash: DEMO_WALLET_CERT_HASH,
      issuer: {
        imkAc: issuer.imkAc, imkSmi: issuer.imkSmi, imkSmc: issuer.imkSmc, issuerKey: issuer.issuerKey, caPublicKeyIndex: issuer.caPublicKeyIndex,
        issuerCertificate: { certificate: toHex(issuer.issuerCertificate.certificate), remainder: toHex(issuer.issuerCertificate.remainder), exponent: toHex(issuer.issuerCertificate.exponent) },
      },
      ssdMasters: { enc: DEMO_KEYS.ssdMaster('ENC'), mac: DEMO_KEYS.ssdMaster('MAC'), dek: DEMO_KEYS.ssdMaster('DEK') },
      flavours: [{
        platform: world.fleet.platform, package: { loadFileAid: toHex(PAYMENT_LOAD_FILE_AID), moduleAid: toHex(PAYMENT_MODULE_AID), cap: Buffer.from(cap).toString('base64') },
        instanceAid: toHex(product.aid), privileges: '00', ssd: { ...DEMO_SSD }, personalization: 'payment',
      }],
    });
    serviceIds.push(created.serviceId);
  }
  return {
    capBytes: cap.length, lfdbBytes, cards,
    deploy: async (phone) => {
      const i = phone.phone.index;
      const { job } = await world.sp.deploy(serviceIds[i % DEMO_PRODUCTS.length]!, { subscriptionId: phone.subscriptionAlias, card: demoCard(i), validitySeconds: 600 }, `bench-cap-deploy-${phone.phone.seId}`);
      const ended = await world.sp.waitForJob(job.jobId, { timeoutMs: 600_000, intervalMs: 10 });
      if (ended.state !== 'succeeded') throw new Error(`deploy ${ended.state} at ${ended.error?.step ?? '?'}: ${ended.error?.code ?? ''}${ended.error?.sw === undefined ? '' : ` ${ended.error.sw}`}`);
      return ended;
    },
  };
}
