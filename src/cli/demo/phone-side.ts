/**
 * The demo's phone side (issue 8): on each phone the bank's wallet app reads its card through the Open
 * Mobile API, gated by the ARA-M rule the deploy wrote (docs/omapi.md, docs/access-control.md); an app
 * signed by someone else is refused; and on one phone the cardholder changes the PIN through the TEE —
 * the wallet gets only a format 4 block under the PIN key the bank's HSM shared with that TEE
 * (docs/tee.md), the bank queues the PIN CHANGE script, the next tap delivers it and the card takes
 * the new PIN.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { fromHex } from '../../bytes/index.ts';
import type { PosTerminal, SigningIdentity} from '../../device/index.ts';
import {
  AraEnforcer, SEService, TeePinPad, WalletApp, deliverIssuerUpdate, manufactureTee, startTee, virtualSeTerminal,
  type EncryptedPin, type IssuerLink, type WalletCardState,
} from '../../device/index.ts';
import { encodeCommand } from '../../apdu/index.ts';
import { buildSelect } from '../../gp/index.ts';
import type { RegisteredPhone } from '../fleet/operator.ts';
import { DEMO_PRODUCTS, demoCard } from './cards.ts';
import type { DemoWorld } from './world.ts';

/** The product (and so the applet AID) the demo deploys to phone `index`. */
function aidOf(phone: RegisteredPhone): Uint8Array {
  return DEMO_PRODUCTS[phone.phone.index % DEMO_PRODUCTS.length]!.aid;
}

/** An OMAPI service for `identity` on `phone` (the phone's eSE, or its UICC as reader SIM1; the ARA-M enforcer in front). */
async function omapi(phone: RegisteredPhone, identity: SigningIdentity): Promise<SEService> {
  const reader = phone.phone.ota === undefined ? 'eSE1' : 'SIM1';
  const service = new SEService({ terminals: [virtualSeTerminal(reader, phone.phone.se)], enforcer: new AraEnforcer(), app: identity.deviceApp() });
  await service.connected;
  return service;
}

/** What the bank's wallet shows on `phone`, and what an app of another signer gets. */
export async function walletView(world: DemoWorld, phone: RegisteredPhone, foreign?: SigningIdentity): Promise<{ readonly state: WalletCardState; readonly atc?: number; readonly transactions: number; readonly foreign?: WalletCardState }> {
  const service = await omapi(phone, world.wallet);
  try {
    const view = await new WalletApp({ identity: world.wallet, seService: service, paymentAid: aidOf(phone), deployed: true }).cardView();
    let other: WalletCardState | undefined;
    if (foreign !== undefined) {
      const foreignService = await omapi(phone, foreign);
      try {
        other = (await new WalletApp({ identity: foreign, seService: foreignService, paymentAid: aidOf(phone) }).cardView()).state;
      } finally {
        await foreignService.shutdown();
      }
    }
    return { state: view.state, ...(view.atc === undefined ? {} : { atc: view.atc }), transactions: view.lastTransactions.length, ...(other === undefined ? {} : { foreign: other }) };
  } finally {
    await service.shutdown();
  }
}

/** The wallet's issuer link: the bank's issuer API queues the PIN CHANGE script. */
function issuerLink(world: DemoWorld): IssuerLink {
  return {
    queuePinChange: (cardId: string, pin: EncryptedPin) =>
      world.issuerApi.call('POST', `/v1/issuer/cards/${encodeURIComponent(cardId)}/scripts`, { kind: 'pin-change', pin: { key: pin.pinKey, format: pin.format, block: Buffer.from(pin.block).toString('hex').toUpperCase() } }),
  };
}

/** A random 6-digit PIN, the one the cardholder types on the TEE's trusted input. */
function cardholderPin(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** VERIFY (EMV Book 3 §6.5.12) with the plaintext PIN as a PIN pad sends it offline: the card's answer. */
async function verifyAtPinPad(phone: RegisteredPhone, pin: string): Promise<number> {
  const transport = phone.phone.transport;
  await transport.transmit(encodeCommand(buildSelect(aidOf(phone))));
  const block = fromHex(`2${pin.length.toString(16)}${pin}`.padEnd(16, 'F'));
  const answer = await transport.transmit(Uint8Array.of(0x00, 0x20, 0x00, 0x80, block.length, ...block));
  return (answer[answer.length - 2]! << 8) | answer[answer.length - 1]!;
}

/**
 * Change-PIN on `phone` through a TEE: manufactured (its KBPK under the TEE factory's KEK), enrolled
 * with the bank's issuer API (the PEK comes back under the KBPK), started as its own process; the
 * cardholder types on its trusted input; the wallet forwards the block; a tap delivers the script.
 */
export async function changePinThroughTee(world: DemoWorld, terminal: PosTerminal, phone: RegisteredPhone, instanceId: string): Promise<string> {
  const storageDir = mkdtempSync(join(tmpdir(), 'opentsm-demo-tee-'));
  try {
    const made = manufactureTee({ storageDir, kifKek: world.parties.teeFactoryKek });
    const enrolled = await world.issuerApi.call<{ pinKey: string; keyBlock: string }>('POST', '/v1/issuer/tee-enrollments', { teeId: made.teeId, kbpkBlock: made.kbpkBlock });
    const tee = await startTee({ storageDir });
    try {
      const pinPad = await TeePinPad.open(tee.endpoint);
      try {
        await pinPad.provisionPek(enrolled.pinKey, enrolled.keyBlock);
        const { cardId } = await world.sp.instance(instanceId);
        const service = await omapi(phone, world.wallet);
        try {
          const wallet = new WalletApp({ identity: world.wallet, seService: service, paymentAid: aidOf(phone), pinPad, issuerLink: issuerLink(world), deployed: true });
          const pin = cardholderPin();
          const typed = tee.touchscreen.nextPrompt().then(() => tee.touchscreen.enter(pin));
          await wallet.changePin(demoCard(phone.phone.index).pan, cardId);
          await typed;
          const tap = await terminal.transact(phone.phone.transport, { amount: 100, currency: 978, country: 250, date: new Date().toISOString().slice(2, 10).replaceAll('-', '') });
          if (tap.kind !== 'approved') return `PIN change queued; the tap that should carry it was ${tap.kind}`;
          const update = await deliverIssuerUpdate(phone.phone.transport, tap.aid, tap.authorization);
          const sw = await verifyAtPinPad(phone, pin);
          phone.phone.se.reset(); // the phone leaves the field
          return `TEE PIN entry → format 4 block → PIN CHANGE script (${update.completed ? 'delivered at the next tap' : 'not delivered'}); VERIFY with the new PIN: ${sw.toString(16).toUpperCase().padStart(4, '0')}`;
        } finally {
          await service.shutdown();
        }
      } finally {
        await pinPad.close();
      }
    } finally {
      await tee.stop();
    }
  } finally {
    rmSync(storageDir, { recursive: true, force: true });
  }
}
