/**
 * The work of the `opentsm issuer` verbs: register a card, authorize a transaction, queue an issuer
 * script, show a card. Results never contain a PAN: cards are shown by id.
 */
import { toHex } from '../../bytes/index.ts';
import { ISSUER_SCRIPT_KINDS, type IssuerScriptRequest } from '../../tsm/index.ts';
import type { CalcResult } from '../calc/result.ts';
import { CliError } from '../errors.ts';
import type { HsmSession } from '../hsm/context.ts';
import { authorizationRequestOf, issuerService, readJson } from './issuer-session.ts';

/** `issuer register <card.json>`: { pan, psn, profile, imkAc, imkSmi, imkSmc } with keys by id or label. */
export async function issuerRegister(session: HsmSession, path: string): Promise<CalcResult> {
  const json = readJson(path, 'card');
  const key = async (field: string): Promise<string> => {
    const ref = json[field];
    if (typeof ref !== 'string') throw new CliError('ERR_CLI_INPUT', `${field}: expected a key id or label`);
    return (await session.key(ref)).id;
  };
  const service = await issuerService(session);
  const id = await service.registerCard({
    pan: json['pan'] as string, psn: json['psn'] as string, profile: json['profile'] as never,
    imkAc: await key('imkAc'), imkSmi: await key('imkSmi'), imkSmc: await key('imkSmc'),
  });
  return { card: id };
}

/** `issuer verify <request.json>`: the decision, the ARPC data for the card and the scripts. */
export async function issuerVerify(session: HsmSession, path: string): Promise<CalcResult> {
  const service = await issuerService(session);
  const r = await service.authorize(authorizationRequestOf(readJson(path, 'authorization request')));
  const scripts: Record<string, string> = {};
  r.scripts.forEach((s, i) => (scripts[`script${i + 1}`] = toHex(s)));
  return {
    decision: r.decision,
    reason: r.reason,
    responseCode: r.responseCode,
    tag91: r.issuerAuthenticationData === undefined ? undefined : toHex(r.issuerAuthenticationData),
    ...(r.scripts.length > 0 ? { scripts } : {}),
  };
}

/** `issuer script <card> <kind>`: queue a script for the card's next online transaction. */
export async function issuerScript(session: HsmSession, card: string, kind: string, options: { readonly pinRequest?: string }): Promise<CalcResult> {
  if (!(ISSUER_SCRIPT_KINDS as readonly string[]).includes(kind)) throw new CliError('ERR_CLI_USAGE', `<kind>: one of ${ISSUER_SCRIPT_KINDS.join(', ')}`);
  let script: IssuerScriptRequest;
  if (kind === 'pin-change') {
    if (options.pinRequest === undefined) throw new CliError('ERR_CLI_USAGE', 'pin-change: --pin-block <file|-> with { "key": id or label, "format": 0|1|3|4, "block": hex }');
    const json = readJson(options.pinRequest, 'PIN block');
    const ref = json['key'];
    if (typeof ref !== 'string' || typeof json['block'] !== 'string') throw new CliError('ERR_CLI_INPUT', 'PIN block: expected { key, format, block }');
    const block = Uint8Array.from(Buffer.from(json['block'], 'hex'));
    script = { kind, pin: { key: (await session.key(ref)).id, format: json['format'] as 0 | 1 | 3 | 4, block } };
  } else {
    script = { kind: kind as Exclude<IssuerScriptRequest['kind'], 'pin-change'> };
  }
  const service = await issuerService(session);
  await service.queueScript(card, script);
  return { card, queued: kind, ...(await service.cardState(card)) };
}

/** `issuer card <card>`: status, last ATC, pending scripts. */
export async function issuerCard(session: HsmSession, card: string): Promise<CalcResult> {
  const service = await issuerService(session);
  return { card, ...(await service.cardState(card)) };
}
