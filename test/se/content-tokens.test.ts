/**
 * Delegated Management tokens (GPC 2.3.1 §9.1.3.3, Appendix C.4) verified with the ISD's token key
 * set '70', and DAP verification (§9.2.1, C.3) with the DAP key set '73': RSA scheme 1 and 2, ECDSA
 * and AES keys, signed here with node:crypto as a Token Verification / DAP authority would.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { SW } from '../../src/apdu/index.ts';
import { aesCmac } from '../../src/crypto/index.ts';
import {
  KEY_TYPES,
  SECURITY_DOMAIN_LIFECYCLE,
  buildDelete,
  buildInstall,
  deleteTokenData,
  dmTokenData,
  encodeInstallParameters,
  encodePrivileges,
  installDataWithoutToken,
  installP1P2,
  type InstallRequest,
  type PrivilegeName,
} from '../../src/gp/index.ts';
import type { CardState, KeySetState } from '../../src/se/index.ts';
import { APPLET, CAP, ISD, PACKAGE, SSD_KEYS, contentCard, openSd, publicKeySet, refused, rsaComponents, sdEntry, sendLoad, withApps } from './content-helpers.ts';

const DM_SSD = fromHex('A000000151535041D1');
const DAP_SD = fromHex('A000000151535041D2');
const INSTANCE = fromHex('0102030405060708AA');
const C9 = encodeInstallParameters({ applicationSpecific: new Uint8Array(0) });

/** Adds `sets` to the key sets of the Security Domain `aid`. */
function withKeySets(aid: Uint8Array, ...sets: KeySetState[]): (s: CardState) => CardState {
  return (s) => ({ ...s, applications: s.applications.map((a) => (toHex(a.aid) === toHex(aid) && a.sd !== undefined ? { ...a, sd: { ...a.sd, keySets: [...a.sd.keySets, ...sets] } } : a)) });
}

const compose = (...fs: ((s: CardState) => CardState)[]) => (s: CardState) => fs.reduce((acc, f) => f(acc), s);

type Signer = (data: Uint8Array) => Uint8Array;

/** An RSA key pair: its public key set under `kvn` and a signer of GPC 2.3.1 B.3.1.1 (≤ 1024 bits) or B.3.2.1. */
function rsa(bits: number, kvn: number): { set: KeySetState; sign: Signer } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const set = publicKeySet(kvn, rsaComponents(publicKey.export({ format: 'jwk' })));
  const signer: Signer = (data) =>
    new Uint8Array(bits <= 1024
      ? sign('sha1', data, { key: privateKey, padding: constants.RSA_PKCS1_PADDING })
      : sign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }));
  return { set, sign: signer };
}

/** An ECDSA P-256 key pair: public point '04' ‖ X ‖ Y as key type B0, plain r ‖ s signatures (B.4.3). */
function ecdsa(kvn: number): { set: KeySetState; sign: Signer } {
  const { publicKey, privateKey }: { publicKey: KeyObject; privateKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Uint8Array.from([4, ...Buffer.from(jwk.x!, 'base64url'), ...Buffer.from(jwk.y!, 'base64url')]);
  return {
    set: publicKeySet(kvn, [{ type: KEY_TYPES.ECC_PUBLIC, value: point }, { type: KEY_TYPES.ECC_PARAMETER_REFERENCE, value: Uint8Array.of(0x00) }]),
    sign: (data) => new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
  };
}

/** The token of an INSTALL request (Appendix C.4, Tables C-4..C-8). */
function installToken(request: InstallRequest, signer: Signer): Uint8Array {
  const { p1, p2 } = installP1P2(request);
  return signer(dmTokenData(p1, p2, installDataWithoutToken(request)));
}

function dmCard(tokenKey: KeySetState | undefined, extra: (s: CardState) => CardState = (s) => s) {
  const dm = sdEntry(DM_SSD, ['SecurityDomain', 'TrustedPath', 'DelegatedManagement'], { keys: SSD_KEYS });
  return contentCard({ change: compose(withApps(dm), tokenKey === undefined ? (s) => s : withKeySets(ISD, tokenKey), extra) });
}

describe('Delegated Management tokens', () => {
  it('RSA 1024 (scheme 1): load, install and delete need valid tokens', async () => {
    const key = rsa(1024, 0x70);
    const card = dmCard(key.set);
    let { session } = await openSd(card, { sdAid: DM_SSD, keys: SSD_KEYS });
    const load: InstallRequest = { kind: 'load', loadFileAid: PACKAGE, lfdbHash: CAP.lfdbSha256 };
    await refused(card, session, buildInstall(load), SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'no Load Token');
    await refused(card, session, buildInstall({ kind: 'load', loadFileAid: PACKAGE, token: installToken({ kind: 'load', loadFileAid: PACKAGE }, key.sign) }), SW.INCORRECT_DATA, 'a token without the hash');
    await refused(card, session, buildInstall({ ...load, token: new Uint8Array(128).fill(7) }), SW.SECURITY_STATUS_NOT_SATISFIED, 'a bad Load Token');
    ({ session } = await openSd(card, { sdAid: DM_SSD, keys: SSD_KEYS }));
    const other: InstallRequest = { kind: 'load', loadFileAid: fromHex('0102030406'), lfdbHash: CAP.lfdbSha256 };
    await refused(card, session, buildInstall({ ...load, token: installToken(other, key.sign) }), SW.SECURITY_STATUS_NOT_SATISFIED, 'the token of another load');
    ({ session } = await openSd(card, { sdAid: DM_SSD, keys: SSD_KEYS }));
    assert.equal((await session.transmit(buildInstall({ ...load, token: installToken(load, key.sign) }))).sw, SW.OK);
    assert.equal((await sendLoad(session, CAP.loadFileDataBlock)).sw, SW.OK);
    assert.equal(toHex(card.state.loadFiles.at(-1)!.sdAid), toHex(DM_SSD));

    const install: InstallRequest = { kind: 'install', loadFileAid: PACKAGE, moduleAid: APPLET, applicationAid: INSTANCE, privileges: encodePrivileges([]), parameters: C9, makeSelectable: true };
    await refused(card, session, buildInstall(install), SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'no Install Token');
    assert.equal((await session.transmit(buildInstall({ ...install, token: installToken(install, key.sign) }))).sw, SW.OK);
    assert.equal(toHex(card.state.applications.at(-1)!.sdAid), toHex(DM_SSD));

    const del = { kind: 'card-content' as const, aid: INSTANCE };
    await refused(card, session, buildDelete(del), SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'no Delete Token');
    assert.equal((await session.transmit(buildDelete({ ...del, token: key.sign(deleteTokenData(del)) }))).sw, SW.OK);
    assert.equal(card.state.applications.some((a) => toHex(a.aid) === toHex(INSTANCE)), false);
  });

  for (const [name, make] of [
    ['RSA 2048 (scheme 2, PSS)', () => rsa(2048, 0x70)],
    ['ECDSA P-256', () => ecdsa(0x70)],
    ['AES-CMAC', () => {
      const aes = fromHex('000102030405060708090A0B0C0D0E0F');
      return { set: { kvn: 0x70, counter: 0, keys: [{ id: 1, type: KEY_TYPES.AES, value: aes }] }, sign: (d: Uint8Array) => aesCmac(aes, d, { length: 16 }) };
    }],
  ] as const) {
    it(`${name} tokens verify`, async () => {
      const key = make();
      const card = dmCard(key.set);
      const { session } = await openSd(card, { sdAid: DM_SSD, keys: SSD_KEYS, securityLevel: 0x33 });
      const load: InstallRequest = { kind: 'load', loadFileAid: PACKAGE, lfdbHash: CAP.lfdbSha256 };
      assert.equal((await session.transmit(buildInstall({ ...load, token: installToken(load, key.sign) }))).sw, SW.OK);
      assert.equal((await sendLoad(session, CAP.loadFileDataBlock)).sw, SW.OK);
    });
  }

  it('no token key: 6982 (C.1.1.1)', async () => {
    const card = dmCard(undefined);
    const { session } = await openSd(card, { sdAid: DM_SSD, keys: SSD_KEYS });
    const load: InstallRequest = { kind: 'load', loadFileAid: PACKAGE, lfdbHash: CAP.lfdbSha256 };
    await refused(card, session, buildInstall({ ...load, token: installToken(load, rsa(1024, 0x70).sign) }), SW.SECURITY_STATUS_NOT_SATISFIED, 'no key set 70');
  });
});

describe('DAP verification', () => {
  const dapSd = (privileges: readonly PrivilegeName[], set: KeySetState, lifecycle: number = SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED) =>
    withApps(sdEntry(DAP_SD, ['SecurityDomain', 'TrustedPath', ...privileges], { lifecycle, extraKeySets: [set] }));

  it('a load file for an SD with DAP Verification needs its DAP Block (6985), which must verify (6982)', async () => {
    const key = rsa(1024, 0x73);
    const card = contentCard({ change: dapSd(['DAPVerification'], key.set) });
    let { session } = await openSd(card);
    const load = buildInstall({ kind: 'load', loadFileAid: PACKAGE, securityDomainAid: DAP_SD, lfdbHash: CAP.lfdbSha1 });
    const before = card.state;
    assert.equal((await session.transmit(load)).sw, SW.OK);
    assert.equal((await sendLoad(session, CAP.loadFileDataBlock)).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'no DAP Block');
    assert.equal((await session.transmit(load)).sw, SW.OK);
    await assert.rejects(sendLoad(session, CAP.loadFileDataBlock, { dapBlocks: [{ securityDomainAid: DAP_SD, signature: new Uint8Array(128).fill(1) }] }), (e: { sw?: number }) => e.sw === SW.SECURITY_STATUS_NOT_SATISFIED);
    assert.equal(card.state, before, 'nothing registered');
    ({ session } = await openSd(card));
    assert.equal((await session.transmit(load)).sw, SW.OK);
    const dap = { securityDomainAid: DAP_SD, signature: key.sign(CAP.lfdbSha1) }; // C.3: the signature of the LFDB hash
    assert.equal((await sendLoad(session, CAP.loadFileDataBlock, { dapBlocks: [dap] })).sw, SW.OK);
    assert.equal(toHex(card.state.loadFiles.at(-1)!.sdAid), toHex(DAP_SD));
  });

  it('a PERSONALIZED SD with Mandated DAP Verification checks every load; one not yet PERSONALIZED does not', async () => {
    const key = ecdsa(0x73);
    const card = contentCard({ change: dapSd(['MandatedDAPVerification'], key.set) });
    const { session } = await openSd(card);
    const load = buildInstall({ kind: 'load', loadFileAid: PACKAGE, lfdbHash: CAP.lfdbSha256 });
    assert.equal((await session.transmit(load)).sw, SW.OK);
    assert.equal((await sendLoad(session, CAP.loadFileDataBlock)).sw, SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the mandated DAP is missing');
    assert.equal((await session.transmit(buildInstall({ kind: 'load', loadFileAid: PACKAGE, lfdbHash: CAP.lfdbSha1 }))).sw, SW.OK);
    await assert.rejects(sendLoad(session, CAP.loadFileDataBlock, { dapBlocks: [{ securityDomainAid: DAP_SD, signature: key.sign(CAP.lfdbSha1) }] }), (e: { sw?: number }) => e.sw === SW.SECURITY_STATUS_NOT_SATISFIED, 'ECDSA P-256 needs a SHA-256 or longer hash (Table C-3)');
    const again = await openSd(card);
    assert.equal((await again.session.transmit(load)).sw, SW.OK);
    assert.equal((await sendLoad(again.session, CAP.loadFileDataBlock, { dapBlocks: [{ securityDomainAid: DAP_SD, signature: key.sign(CAP.lfdbSha256) }] })).sw, SW.OK);

    const unready = contentCard({ change: dapSd(['MandatedDAPVerification'], key.set, SECURITY_DOMAIN_LIFECYCLE.SELECTABLE) });
    const s = await openSd(unready);
    assert.equal((await s.session.transmit(load)).sw, SW.OK);
    assert.equal((await sendLoad(s.session, CAP.loadFileDataBlock)).sw, SW.OK);
  });
});
