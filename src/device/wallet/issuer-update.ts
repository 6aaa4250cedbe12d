/**
 * The wallet's issuer update after a tap (docs/payment-application.md §3, §3.2): SELECT the payment
 * application (6283 accepted — a blocked application must still receive its APPLICATION UNBLOCK;
 * EMV Book 1 §12.4), EXTERNAL AUTHENTICATE with the issuer authentication data (91; EMV Book 3
 * §6.5.4), then each issuer script command in order (Book 3 §10.10). Stops at the first failure and
 * reports every status word.
 */
import type { ApduTransport } from '../../apdu/index.ts';
import { parseCommand } from '../../apdu/index.ts';
import { OpenTsmError } from '../../bytes/index.ts';
import type { AuthorizationResponse } from '../../emv/index.ts';
import { exchange } from '../card-io.ts';
import { DeviceError } from '../errors.ts';

/** One command of the update and the card's status word. */
export interface IssuerUpdateStep {
  readonly command: 'select' | 'external-authenticate' | 'script';
  /** For scripts: the position in `AuthorizationResponse.scripts`. */
  readonly index?: number;
  readonly sw: number;
}

/** What the update did: every command sent, and whether all of them succeeded. */
export interface IssuerUpdateReport {
  readonly steps: readonly IssuerUpdateStep[];
  /** True when every command succeeded (and there was anything to deliver). */
  readonly completed: boolean;
}

/** Book 3 §10.10: script processing goes on after SW1 90, 62 or 63 and stops after any other. */
function scriptOk(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw1 === 0x90 || sw1 === 0x62 || sw1 === 0x63;
}

function checkResponse(response: AuthorizationResponse): void {
  if (typeof response !== 'object' || response === null) throw new DeviceError('ERR_DEVICE_PARAM', 'issuer update: expected an AuthorizationResponse');
  const ok = (response.issuerAuthenticationData === undefined || response.issuerAuthenticationData instanceof Uint8Array) && Array.isArray(response.scripts);
  if (!ok) throw new DeviceError('ERR_DEVICE_PARAM', 'issuer update: malformed AuthorizationResponse');
  for (const [i, script] of (response.scripts as readonly unknown[]).entries()) {
    if (!(script instanceof Uint8Array)) throw new DeviceError('ERR_DEVICE_PARAM', `issuer script ${i}: not bytes`);
    let cla: number;
    try {
      cla = parseCommand(script).cla;
    } catch (e) {
      throw new DeviceError('ERR_DEVICE_PARAM', `issuer script ${i}: not a command APDU`, { cause: e instanceof OpenTsmError ? e : undefined });
    }
    // Book 3 §6.5: issuer script commands use secure messaging (CLA 84, or 04 for the ISO class)
    if (cla !== 0x84 && cla !== 0x04) throw new DeviceError('ERR_DEVICE_PARAM', `issuer script ${i}: CLA must be 84 or 04`);
  }
}

/**
 * Delivers the issuer's answer to the application `aid` on `card`. Nothing is sent when the answer
 * has neither issuer authentication data nor scripts. Card transport failures throw DeviceError.
 * @example await deliverIssuerUpdate(card, outcome.aid, outcome.authorization)
 */
export async function deliverIssuerUpdate(card: ApduTransport, aid: Uint8Array, response: AuthorizationResponse): Promise<IssuerUpdateReport> {
  if (!(aid instanceof Uint8Array) || aid.length < 5 || aid.length > 16) throw new DeviceError('ERR_DEVICE_PARAM', 'issuer update: aid of 5 to 16 bytes');
  checkResponse(response);
  const steps: IssuerUpdateStep[] = [];
  const done = (completed: boolean): IssuerUpdateReport => Object.freeze({ steps: Object.freeze(steps), completed });
  const arpc = response.issuerAuthenticationData;
  if (arpc === undefined && response.scripts.length === 0) return done(false);
  const select = await exchange(card, { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: aid, ne: 256 });
  steps.push({ command: 'select', sw: select.sw });
  if (select.sw !== 0x9000 && select.sw !== 0x6283) return done(false);
  if (arpc !== undefined) {
    const ea = await exchange(card, { cla: 0x00, ins: 0x82, p1: 0x00, p2: 0x00, data: arpc });
    steps.push({ command: 'external-authenticate', sw: ea.sw });
    if (ea.sw !== 0x9000) return done(false);
  }
  for (const [index, script] of response.scripts.entries()) {
    const command = parseCommand(script);
    const r = await exchange(card, { cla: command.cla, ins: command.ins, p1: command.p1, p2: command.p2, data: command.data, ne: command.ne });
    steps.push({ command: 'script', index, sw: r.sw });
    if (!scriptOk(r.sw)) return done(false);
  }
  return done(true);
}
