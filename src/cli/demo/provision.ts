/**
 * Deploying the payment card to one phone (ARCHITECTURE.md §4 steps 3–4, in the demo's one-tenant
 * form): the phone's ISD keys diversified in the HSM from the batch masters, the ISD's SCP03 channel
 * opened with host keys that stay in the HSM, the payment instance installed, personalized with the
 * DGIs the HSM prepared (secrets only under the ISD's DEK), listed in the PPSE, and registered with
 * the issuer through the service's API.
 */
import { encodeCommand, parseResponse, type CommandApdu } from '../../apdu/index.ts';
import { VISA_STYLE_AID, MASTERCARD_STYLE_AID, PAYMENT_LOAD_FILE_AID, PAYMENT_MODULE_AID, PPSE_AID } from '../../se/index.ts';
import { buildInstall, buildSelect, buildStoreData, encodeInstallParameters, encodePrivileges, openScp03, type SecureChannelSession } from '../../gp/index.ts';
import { ppseEntryDgi, preparePersonalization, type PaymentCardRecord } from '../../tsm/index.ts';
import { CliError } from '../errors.ts';
import { DEMO_BIN, DEMO_TENANTS, type DemoParties } from './ceremony.ts';
import type { DemoFleet, DemoPhone } from './phones.ts';
import type { DemoService } from './service.ts';

/** The demo's two card products (docs/payment-application.md §2); phones alternate between them. */
export const DEMO_PRODUCTS = [
  { aid: VISA_STYLE_AID, profile: 'visa-18', flow: 'gpo', label: 'DEMO BANK VISA' },
  { aid: MASTERCARD_STYLE_AID, profile: 'mastercard-17', flow: 'generate-ac', label: 'DEMO BANK MC' },
] as const;

/** The card record of `phone`'s payment card. */
export function cardFor(phone: DemoPhone): PaymentCardRecord & { readonly aid: Uint8Array } {
  const product = DEMO_PRODUCTS[phone.index % DEMO_PRODUCTS.length]!;
  const account = String(phone.index + 1).padStart(9, '0');
  return {
    ...product, pan: luhn(`${DEMO_BIN}${account}`), psn: '01', expiry: '301231', issuerCountry: '250', priority: 1, keyDerivationIndex: 1,
  };
}

/** `digits` with its Luhn check digit appended (ISO/IEC 7812-1 Annex B). */
function luhn(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return `${digits}${(10 - (sum % 10)) % 10}`;
}

async function send(session: SecureChannelSession, command: CommandApdu, what: string): Promise<void> {
  const r = await session.transmit(command);
  if (r.sw !== 0x9000) throw new CliError('ERR_CLI_INPUT', `${what}: the card answered ${r.sw.toString(16).toUpperCase()}`);
}

/** Deploys the phone's payment card; returns the issuer's card id. */
export async function deployCard(parties: DemoParties, fleet: DemoFleet, service: DemoService, phone: DemoPhone): Promise<string> {
  const ctx = parties.ctx(DEMO_TENANTS.tsm);
  const card = cardFor(phone);
  const isd = await parties.hsm.diversifyGpKeys(fleet.masters, phone.kdd, 'kdf3', { owner: DEMO_TENANTS.tsm }, ctx);
  const prepared = await preparePersonalization(parties.hsm, ctx, card, parties.issuer, { dek: isd.dek.id, scp: 3 });
  const select = parseResponse(await phone.transport.transmit(encodeCommand(buildSelect(phone.isdAid))));
  if (select.sw !== 0x9000) throw new CliError('ERR_CLI_INPUT', `SELECT ISD: the card answered ${select.sw.toString(16)}`);
  const keys = await parties.hsm.scp03HostKeys({ enc: isd.enc.id, mac: isd.mac.id, dek: isd.dek.id }, phone.isdKvn, ctx);
  const session = await openScp03(phone.transport, keys, { securityLevel: 0x33, sdAid: phone.isdAid });
  await send(session, buildInstall({
    kind: 'install', loadFileAid: PAYMENT_LOAD_FILE_AID, moduleAid: PAYMENT_MODULE_AID, applicationAid: card.aid,
    privileges: encodePrivileges([]), parameters: encodeInstallParameters({ applicationSpecific: new Uint8Array(0) }), makeSelectable: true,
  }), 'INSTALL [for install]');
  await send(session, buildInstall({ kind: 'personalization', applicationAid: card.aid }), 'INSTALL [for personalization]');
  for (const c of buildStoreData(prepared.stream, { format: 'dgi', encryption: 'application' }, 200)) await send(session, c, 'STORE DATA');
  await send(session, buildInstall({ kind: 'personalization', applicationAid: PPSE_AID }), 'INSTALL [for personalization] of the PPSE');
  for (const c of buildStoreData(ppseEntryDgi(card.aid, card), { format: 'dgi' }, 200)) await send(session, c, 'STORE DATA to the PPSE');
  return service.registerCard(card, { imkAc: parties.issuer.imkAc, imkSmi: parties.issuer.imkSmi, imkSmc: parties.issuer.imkSmc });
}
