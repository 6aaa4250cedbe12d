/**
 * `opentsm issuer`: the issuer host of a data directory — the same software HSM and store as
 * `opentsm hsm` (src/cli/hsm/context.ts), with tsm/'s IssuerService on top. Card data comes from a
 * JSON file or stdin, never from argv (shell history, `ps`).
 */
import { readFileSync } from 'node:fs';
import { fromHex } from '../../bytes/index.ts';
import type { AuthorizationRequest } from '../../emv/index.ts';
import { IssuerService, PAN_INDEX_LABEL } from '../../tsm/index.ts';
import { CliError } from '../errors.ts';
import type { HsmSession } from '../hsm/context.ts';


/** The issuer service of a session, its PAN-index key found by label or generated. */
export async function issuerService(session: HsmSession): Promise<IssuerService> {
  const existing = (await session.hsm.listKeys({ label: PAN_INDEX_LABEL }, session.ctx)).filter((k) => k.status === 'active');
  const key = existing[0] ?? await session.hsm.generateKey(
    { usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: session.ctx.tenant, label: PAN_INDEX_LABEL }, session.ctx);
  return new IssuerService({ db: session.db, hsm: session.hsm, ctx: session.ctx, panIndexKey: key.id });
}

/** A JSON document from `path`, or from stdin for `-`. */
export function readJson(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (cause) {
    throw new CliError('ERR_CLI_INPUT', `${what}: cannot read ${path === '-' ? 'stdin' : path}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CliError('ERR_CLI_INPUT', `${what}: not valid JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliError('ERR_CLI_INPUT', `${what}: expected a JSON object`);
  return value as Record<string, unknown>;
}

function hexField(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string' || !/^([0-9A-Fa-f]{2})*$/.test(value)) throw new CliError('ERR_CLI_INPUT', `${field}: expected hex`);
  return fromHex(value);
}

/**
 * An authorization request from JSON: `{ "pan", "psn", "cryptogram": hex, "cid": "80", "data": { "9F02": hex, … } }`
 * (the tags of emv/authorization.ts). Field checks beyond hex are the issuer service's.
 */
export function authorizationRequestOf(json: Record<string, unknown>): AuthorizationRequest {
  const data = json['data'];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new CliError('ERR_CLI_INPUT', 'data: expected an object of tag → hex');
  const cid = json['cid'];
  return {
    pan: json['pan'] as string,
    psn: json['psn'] as string,
    cryptogram: hexField(json['cryptogram'], 'cryptogram'),
    cid: typeof cid === 'string' ? hexField(cid, 'cid')[0] ?? -1 : (cid as number),
    data: Object.fromEntries(Object.entries(data).map(([tag, v]) => [tag.toUpperCase(), hexField(v, `data.${tag}`)])),
  };
}
