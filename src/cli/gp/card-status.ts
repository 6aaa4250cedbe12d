/**
 * A card's refusal, told to the operator: the status word, its meaning (describeSw) and what to do
 * about it. The advice is data, per status word, with overrides per command (GPC 2.3.1 §11.1.3 and
 * the response tables of chapter 11; gp.md §8.1 for what GlobalPlatformPro users stumble on).
 */
import { describeSw, type ResponseApdu } from '../../apdu/index.ts';
import { GpError } from '../../gp/index.ts';

/** The commands `opentsm gp` names in its errors. */
export type GpCommandName =
  | 'SELECT'
  | 'GET DATA'
  | 'GET STATUS'
  | 'INSTALL [for load]'
  | 'LOAD'
  | 'INSTALL [for install]'
  | 'INSTALL [for personalization]'
  | 'DELETE'
  | 'SET STATUS'
  | 'PUT KEY'
  | 'STORE DATA'
  | 'INITIALIZE UPDATE';

/** Separates a message from its advice; a message that has it gets no second one. */
const ADVICE_MARK = ' — ';

/** What to do, by status word, whatever the command. */
const ADVICE: ReadonlyMap<number, string> = new Map([
  [0x6982, 'the secure channel or the Security Domain lacks the right to do this (security level, privilege, or the object belongs to another SD)'],
  [0x6983, 'the key set is blocked after too many failed authentications; only the card issuer can recover it'],
  [0x6985, 'the card refuses in its current state (life cycle, an object in use, a dependency); check `opentsm gp list`'],
  [0x6a80, 'the command data is wrong for this card; check AIDs, parameters and privileges'],
  [0x6a81, 'the card does not support this function'],
  [0x6a82, 'no such application or Security Domain on the card; check the AID with `opentsm gp list`'],
  [0x6a84, 'not enough memory on the card; delete unused packages or instances first'],
  [0x6a86, 'the card does not support this variant of the command (P1/P2)'],
  [0x6a88, 'the referenced object (AID, key version) is not on the card; check with `opentsm gp list` or `opentsm gp info`'],
  [0x6d00, 'the selected application does not implement this command'],
  [0x6e00, 'the selected application does not accept this class byte'],
  [0x6700, 'the card refuses the length of the command; try a smaller block or fewer parameters'],
  [0x6581, 'the card could not write its memory; the operation may be incomplete, check with `opentsm gp list`'],
]);

/** Advice that only holds for one command. */
const COMMAND_ADVICE: ReadonlyMap<string, string> = new Map([
  // GPC 2.3.1 §11.5.2.3: an AID already in the registry is refused with 6A80 (some cards: 6985)
  ['INSTALL [for load]:6985', 'the package may already be on the card (delete it first), or the target Security Domain cannot take it'],
  ['INSTALL [for load]:6a80', 'the package may already be on the card (see `opentsm gp list`; delete it first), or the load parameters or target Security Domain AID are wrong'],
  ['INSTALL [for install]:6985', 'the module may not be in the package, or the privileges are not allowed (check --applet, --privs)'],
  ['INSTALL [for install]:6a80', 'an instance with that AID may already exist (choose another with --create), or --params, --privs or the AIDs are wrong; UICCs may need toolkit (EA/CA) parameters'],
  ['INSTALL [for install]:6a88', 'the package or module is not on the card; load it first'],
  ['DELETE:6985', 'the object still has dependents (instances of a package, applications of an SD): add --force to delete them too'],
  ['DELETE:6a88', 'nothing with that AID on the card; check with `opentsm gp list`'],
  ['SET STATUS:6985', 'that life-cycle transition is not allowed from the current state (GPC 2.3.1 §5)'],
  ['PUT KEY:6a80', 'the key data or key type is wrong for this Security Domain (AES for SCP03, DES for SCP02)'],
  ['PUT KEY:6a88', 'there is no key set with the version given to --replace'],
  ['PUT KEY:6a84', 'the card has no room for another key set: replace one with --replace'],
  ['INITIALIZE UPDATE:6a88', 'the card has no key set with that version: check --kvn (0 picks the default key set)'],
  ['INITIALIZE UPDATE:6985', 'the sequence counter of this key set is exhausted: the keys must be replaced'],
  ['LOAD:6a84', 'not enough memory for the package'],
]);

/** The advice for `sw` after `command`, if any. */
export function adviceFor(command: GpCommandName, sw: number): string | undefined {
  return COMMAND_ADVICE.get(`${command}:${sw.toString(16)}`) ?? ADVICE.get(sw);
}

/** The error for a refused command: `ERR_GP_STATUS` carrying the status word. */
export function cardRefused(command: GpCommandName, sw: number, detail?: string): GpError {
  const advice = adviceFor(command, sw);
  const what = detail === undefined ? command : `${command} ${detail}`;
  return new GpError('ERR_GP_STATUS', `${what} failed: ${describeSw(sw)}${advice === undefined ? '' : `${ADVICE_MARK}${advice}`}`, { sw });
}

/** Returns the response when its status word is one of `ok` (default 9000), else throws {@link cardRefused}. */
export function expectOk(response: ResponseApdu, command: GpCommandName, detail?: string, ok: readonly number[] = [0x9000]): ResponseApdu {
  if (!ok.includes(response.sw)) throw cardRefused(command, response.sw, detail);
  return response;
}

/**
 * Adds the advice to a `GpError` raised for a status word inside gp/ (e.g. by `getStatusAll` or
 * the secure channel), keeping its code and status word.
 */
export function withAdvice(e: unknown, command: GpCommandName): unknown {
  if (!(e instanceof GpError) || e.sw === undefined || e.code !== 'ERR_GP_STATUS') return e;
  const advice = adviceFor(command, e.sw);
  if (advice === undefined || e.message.includes(ADVICE_MARK)) return e;
  return new GpError('ERR_GP_STATUS', `${e.message}${ADVICE_MARK}${advice}`, { sw: e.sw, cause: e });
}
