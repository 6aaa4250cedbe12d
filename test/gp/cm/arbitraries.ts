/** fast-check arbitraries for GP card content management values (shared by the property tests). */
import fc from 'fast-check';
import {
  encodeInstallParameters,
  encodePrivileges,
  hasPrivilege,
  PRIVILEGE_NAMES,
  type ImplicitSelection,
  type InstallRequest,
  type PutKeyEntry,
  type PutKeyRequest,
  type RegistryEntryFields,
} from '../../../src/gp/index.ts';

/** fc.record with ordinary objects (fast-check may give null-prototype ones, which deepStrictEqual tells apart). */
function rec<T extends object>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model).map((r) => ({ ...r }));
}

export const aid = fc.uint8Array({ minLength: 5, maxLength: 16 });
export const optAid = fc.option(aid, { nil: undefined });
export const token = fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: undefined });

export const implicitSelection: fc.Arbitrary<ImplicitSelection> = rec({
  contactless: fc.boolean(),
  contact: fc.boolean(),
  channel: fc.integer({ min: 0, max: 19 }),
});

/** Valid privilege fields: 3 bytes from a set of names (never DAP + Mandated DAP), or 1 legacy byte. */
export const privileges = fc.oneof(
  fc.subarray([...PRIVILEGE_NAMES]).filter((s) => !(s.includes('DAPVerification') && s.includes('MandatedDAPVerification'))).map((s) => encodePrivileges(s)),
  fc.uint8Array({ minLength: 1, maxLength: 1 }),
);

const memory = fc.option(fc.oneof(fc.integer({ min: 0, max: 0x7fff }), fc.integer({ min: 0x8000, max: 0xffffffff })), { nil: undefined });

/** An encoded parameters field; `c9` forces the mandatory C9 of INSTALL [for install]. */
export function parameters(c9: boolean): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      applicationSpecific: c9 ? fc.uint8Array({ maxLength: 40 }) : fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
      system: fc.option(
        rec({
          nonVolatileMemory: memory,
          volatileMemory: memory,
          ts102226: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: undefined }),
          implicitSelection: fc.option(fc.array(implicitSelection, { maxLength: 3 }), { nil: undefined }),
          restrict: fc.option(fc.integer({ min: 0, max: 0x7f }), { nil: undefined }),
        }),
        { nil: undefined },
      ),
    })
    .map((p) => encodeInstallParameters(p));
}

const optParams = fc.option(parameters(false).filter((p) => p.length > 0), { nil: undefined });

/** Every INSTALL variant of Tables 11-42..11-47, valid. */
export const installRequest: fc.Arbitrary<InstallRequest> = fc.oneof(
  rec({
    kind: fc.constant('load' as const),
    loadFileAid: aid,
    securityDomainAid: optAid,
    lfdbHash: fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 }), { nil: undefined }),
    parameters: optParams,
    token,
    combined: fc.boolean(),
  }),
  fc
    .record({
      kind: fc.constant('install' as const),
      loadFileAid: aid,
      moduleAid: optAid,
      applicationAid: aid,
      privileges,
      parameters: parameters(true),
      token,
      makeSelectable: fc.boolean(),
      combined: fc.boolean(),
    })
    .filter((r) => r.makeSelectable || r.combined || !hasPrivilege(r.privileges, 'CardReset')),
  rec({ kind: fc.constant('make-selectable' as const), applicationAid: aid, privileges, parameters: optParams, token }),
  rec({ kind: fc.constant('extradition' as const), securityDomainAid: aid, aid, parameters: optParams, token }),
  rec({
    kind: fc.constant('registry-update' as const),
    securityDomainAid: optAid,
    applicationAid: optAid,
    privileges: fc.option(privileges, { nil: undefined }),
    parameters: optParams,
    token,
  }),
  rec({ kind: fc.constant('personalization' as const), applicationAid: aid }),
);

const kcv = fc.uint8Array({ maxLength: 3 });
const extended = fc.option(rec({ usage: fc.uint8Array({ maxLength: 1 }), access: fc.uint8Array({ maxLength: 1 }) }), { nil: undefined });

/** Key data fields: DES (bare 16 bytes), AES-128/192/256 (length-prefixed), clear RSA public parts. */
export const putKeyEntry: fc.Arbitrary<PutKeyEntry> = fc.oneof(
  rec({ components: fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 })).map(([v]) => [{ type: 0x80, value: v, clearLength: undefined }]), kcv, extended }),
  rec({
    components: fc.constantFrom([16, 16], [24, 32], [32, 32]).chain(([clear, size]) =>
      fc.uint8Array({ minLength: size, maxLength: size }).map((v) => [{ type: 0x88, value: v, clearLength: clear }])),
    kcv,
    extended,
  }),
  rec({
    components: fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([n, e]) => [
      { type: 0xa1, value: n, clearLength: undefined },
      { type: 0xa0, value: e, clearLength: undefined },
    ]),
    kcv: fc.constant(new Uint8Array(0)),
    extended,
  }),
);

export const putKeyRequest: fc.Arbitrary<PutKeyRequest> = fc
  .record({
    replaceKvn: fc.integer({ min: 0, max: 0x7f }),
    newKvn: fc.integer({ min: 1, max: 0x7f }),
    keys: fc.array(putKeyEntry, { minLength: 1, maxLength: 3 }),
    multiple: fc.boolean(),
  })
  .chain((r) => fc.integer({ min: 0, max: 0x80 - r.keys.length }).map((firstKeyId) => ({ ...r, firstKeyId, multiple: r.multiple || r.keys.length > 1 })));

export const registryEntry: fc.Arbitrary<RegistryEntryFields> = rec({
  aid,
  lifecycle: fc.integer({ min: 0, max: 0xff }),
  privileges: fc.option(fc.oneof(fc.uint8Array({ minLength: 3, maxLength: 3 }), fc.uint8Array({ minLength: 1, maxLength: 1 })), { nil: undefined }),
  implicitSelection: fc.array(implicitSelection, { maxLength: 3 }),
  loadFileAid: optAid,
  version: fc.option(fc.uint8Array({ minLength: 2, maxLength: 2 }), { nil: undefined }),
  modules: fc.array(aid, { maxLength: 3 }),
  domainAid: optAid,
});
