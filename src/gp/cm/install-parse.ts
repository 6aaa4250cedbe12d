import type { CommandApdu } from '../../apdu/index.ts';
import { ByteReader } from '../../bytes/index.ts';
import { parseTlvList } from '../../tlv/index.ts';
import { checkAidField } from './aid.ts';
import { P1_MORE_COMMANDS } from './chain.ts';
import { badData, badHeader, guardCard } from './fail.ts';
import { readGpLv } from './gp-length.ts';
import { expectCommand, hex2, INS } from './header.ts';
import { INSTALL_P1, INSTALL_P2, type InstallRequest } from './install.ts';
import { hasPrivilege } from './privileges.ts';

function zero(r: ByteReader, what: string): void {
  if (r.u8(what) !== 0) throw badData(`INSTALL: ${what} must be 00`);
}

function privileges(r: ByteReader, optional: boolean): Uint8Array | undefined {
  const field = r.lv('privileges');
  if (optional && field.length === 0) return undefined;
  // Tables 11-43, 11-44, 11-46: privileges length '01' or '03' (or '00' in registry update)
  if (field.length !== 1 && field.length !== 3) throw badData(`INSTALL: privileges of ${field.length} bytes (1 or 3)`);
  return field.slice();
}

/** A parameters field: GP length, then BER-TLV (6A80 when it is not). */
function parameters(r: ByteReader, what: string): Uint8Array | undefined {
  const v = readGpLv(r, what);
  parseTlvList(v);
  return v.length === 0 ? undefined : v;
}

function token(r: ByteReader): Uint8Array | undefined {
  const v = readGpLv(r, 'token');
  r.end(); // nothing may follow the token
  return v.length === 0 ? undefined : v;
}

function parseLoad(r: ByteReader, combined: boolean): InstallRequest {
  // Table 11-42
  const loadFileAid = checkAidField(r.lv('load file AID'), 'load file AID')!;
  const securityDomainAid = checkAidField(r.lv('security domain AID'), 'security domain AID', true);
  const hash = r.lv('LFDB hash');
  if (hash.length > 0x7f) throw badData(`INSTALL [for load]: LFDB hash of ${hash.length} bytes (00-7F)`);
  const params = parameters(r, 'load parameters');
  return { kind: 'load', loadFileAid, securityDomainAid, lfdbHash: hash.length === 0 ? undefined : hash.slice(), parameters: params, token: token(r), combined };
}

function parseInstall(r: ByteReader, makeSelectable: boolean, combined: boolean): InstallRequest {
  // Table 11-43; the load file AID may be empty only in the combined command
  const loadFileAid = checkAidField(r.lv('load file AID'), 'load file AID', combined);
  const moduleAid = checkAidField(r.lv('module AID'), 'module AID', true);
  const applicationAid = checkAidField(r.lv('application AID'), 'application AID')!;
  const privs = privileges(r, false)!;
  // §11.5.2.3.2: Card Reset cannot be set by an install that does not also make selectable
  if (!makeSelectable && hasPrivilege(privs, 'CardReset')) throw badData('INSTALL [for install]: Card Reset without make selectable');
  const params = readGpLv(r, 'install parameters');
  // Table 11-49: C9 (application specific parameters) is mandatory
  if (!parseTlvList(params).some((n) => n.tag === 0xc9)) throw badData('INSTALL [for install]: install parameters lack C9');
  return { kind: 'install', loadFileAid, moduleAid, applicationAid, privileges: privs, parameters: params, token: token(r), makeSelectable, combined };
}

function parseMakeSelectable(r: ByteReader): InstallRequest {
  // Table 11-44
  zero(r, 'load file AID length');
  zero(r, 'module AID length');
  const applicationAid = checkAidField(r.lv('application AID'), 'application AID')!;
  const privs = privileges(r, false)!;
  const params = parameters(r, 'make selectable parameters');
  return { kind: 'make-selectable', applicationAid, privileges: privs, parameters: params, token: token(r) };
}

function parseExtradition(r: ByteReader): InstallRequest {
  // Table 11-45
  const securityDomainAid = checkAidField(r.lv('security domain AID'), 'security domain AID')!;
  zero(r, 'second length');
  const aid = checkAidField(r.lv('application or load file AID'), 'application or load file AID')!;
  zero(r, 'fourth length');
  const params = parameters(r, 'extradition parameters');
  return { kind: 'extradition', securityDomainAid, aid, parameters: params, token: token(r) };
}

function parseRegistryUpdate(r: ByteReader): InstallRequest {
  // Table 11-46
  const securityDomainAid = checkAidField(r.lv('security domain AID'), 'security domain AID', true);
  zero(r, 'second length');
  const applicationAid = checkAidField(r.lv('application AID'), 'application AID', true);
  const privs = privileges(r, true);
  const params = parameters(r, 'registry update parameters');
  return { kind: 'registry-update', securityDomainAid, applicationAid, privileges: privs, parameters: params, token: token(r) };
}

function parsePersonalization(r: ByteReader): InstallRequest {
  // Table 11-47
  zero(r, 'first length');
  zero(r, 'second length');
  const applicationAid = checkAidField(r.lv('application AID'), 'application AID')!;
  for (const what of ['fourth length', 'fifth length', 'sixth length']) zero(r, what);
  r.end();
  return { kind: 'personalization', applicationAid };
}

/**
 * Card side: parses a complete INSTALL command (GPC 2.3.1 §11.5; reassemble a chain first with
 * `GpChainAssembler`). P1 must be one of Table 11-41's roles and P2 '00', or '01'/'03' with P1 '0E'
 * (6A86 otherwise). Every LV field is checked: AIDs 5–16 bytes (0 where the table allows it),
 * privileges 1 or 3 bytes, 'C9' present in install parameters, parameters BER-TLV, the '00' fields
 * zero, nothing after the token (6A80; gp.md §6). The result builds back to the same bytes.
 */
export function parseInstallCommand(command: CommandApdu): InstallRequest {
  expectCommand(command, INS.INSTALL, 'INSTALL');
  if ((command.p1 & P1_MORE_COMMANDS) !== 0) throw badHeader('INSTALL: P1 b8 set; reassemble the chain first (§11.1.5.1)');
  const p1 = command.p1;
  const p2 = command.p2;
  const combined = p1 === INSTALL_P1.loadInstallAndMakeSelectable;
  const p2ok = combined ? p2 === INSTALL_P2.combinedStart || p2 === INSTALL_P2.combinedEnd : p2 === INSTALL_P2.none;
  if (!p2ok) throw badHeader(`INSTALL: P2 ${hex2(p2)} with P1 ${hex2(p1)}`);
  const r = new ByteReader(command.data, 'INSTALL data');
  const request = guardCard('INSTALL', (): InstallRequest => {
    switch (p1) {
      case INSTALL_P1.load:
        return parseLoad(r, false);
      case INSTALL_P1.install:
      case INSTALL_P1.installAndMakeSelectable:
        return parseInstall(r, p1 === INSTALL_P1.installAndMakeSelectable, false);
      case INSTALL_P1.loadInstallAndMakeSelectable:
        return p2 === INSTALL_P2.combinedStart ? parseLoad(r, true) : parseInstall(r, true, true);
      case INSTALL_P1.makeSelectable:
        return parseMakeSelectable(r);
      case INSTALL_P1.extradition:
        return parseExtradition(r);
      case INSTALL_P1.registryUpdate:
        return parseRegistryUpdate(r);
      case INSTALL_P1.personalization:
        return parsePersonalization(r);
      default:
        throw badHeader(`INSTALL: P1 ${hex2(p1)} is not a role of Table 11-41`);
    }
  });
  return Object.freeze(request);
}
