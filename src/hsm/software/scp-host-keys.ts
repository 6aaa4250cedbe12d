/**
 * The gp/ host key interfaces (Scp03HostKeys, Scp02HostKeys) over a Security Domain's stored
 * per-SE keys. The same session-key math as gp/'s plainScp03Keys / plainScp02Keys, with the static
 * keys unwrapped inside the HSM for each call: for the software backend "inside the HSM" means inside
 * these closures and the key vault — the static keys are never a property of the returned objects,
 * and the session objects gp/ derives (deriveScp03SessionKeys / deriveScp02SessionKeys) hold session
 * keys only, zeroed on close(). Every call is an audited HSM operation that re-checks the keys
 * (a key destroyed meanwhile stops working at once).
 */
import { inspect } from 'node:util';
import { aesCbcEncrypt } from '../../crypto/index.ts';
import {
  deriveScp02SessionKeys,
  deriveScp03SessionKeys,
  scp03CardChallenge,
  type Scp02HostKeys,
  type Scp02SessionContext,
  type Scp02SessionKeys,
  type Scp03ChallengeContext,
  type Scp03HostKeys,
  type Scp03SessionContext,
  type Scp03SessionKeys,
  type ScpKeyContext,
} from '../../gp/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { Trail } from '../shared/audit-trail.ts';
import type { SoftwareCore } from './core.ts';
import type { LoadedKey } from './key-vault.ts';

/** Runs one audited operation with the context the key holder was created for. */
export type AuditedRunner = <T>(operation: string, body: (trail: Trail) => Promise<T>) => Promise<T>;

/** A Security Domain key set by key id. */
export interface KeySetIds {
  readonly enc: string;
  readonly mac: string;
  readonly dek: string;
}

/** Loads the key set for a session: ENC and MAC with their roles, the DEK. */
export async function loadKeySet(core: SoftwareCore, ids: KeySetIds, ctx: OperationContext, trail: Trail): Promise<{ enc: LoadedKey; mac: LoadedKey; dek: LoadedKey }> {
  const enc = await core.vault.usable(ids?.enc, 'scp-session', ctx, trail);
  const mac = await core.vault.usable(ids.mac, 'scp-session', ctx, trail);
  const dek = await core.vault.usable(ids.dek, 'card-wrap', ctx, trail);
  if (enc.record.attributes.label !== 'GP-ENC' || mac.record.attributes.label !== 'GP-MAC') {
    throw new HsmError('ERR_HSM_USAGE', 'the ENC key must have the role GP-ENC and the MAC key GP-MAC');
  }
  return { enc, mac, dek };
}

/** Checks one algorithm and length across the set; returns the length. */
export function keySetLength(set: { enc: LoadedKey; mac: LoadedKey; dek: LoadedKey }, algorithm: 'T' | 'A', lengths: readonly number[]): number {
  const all = [set.enc, set.mac, set.dek].map((k) => k.record.attributes);
  const length = all[0]!.length;
  if (all.some((a) => a.algorithm !== algorithm || a.length !== length) || !lengths.includes(length)) {
    throw new HsmError('ERR_HSM_USAGE', `the key set must be three ${algorithm === 'A' ? 'AES' : 'TDES'} keys of one length (${lengths.join(', ')} bytes)`);
  }
  return length;
}

function describe(name: string, keyVersion: number, set: KeySetIds, kcvs: readonly string[]): string {
  const kvn = keyVersion.toString(16).toUpperCase().padStart(2, '0');
  return `${name}(KVN ${kvn}, ENC ${set.enc} KCV ${kcvs[0]}, MAC ${set.mac} KCV ${kcvs[1]}, DEK ${set.dek} KCV ${kcvs[2]})`;
}

/** SCP03 host keys over stored AES keys (GPC Amd D v1.1.1 §6.2). */
export class HsmScp03Keys implements Scp03HostKeys {
  readonly scp = 3 as const;
  readonly keyVersion: number;
  readonly keyLength: 16 | 24 | 32;
  readonly #core: SoftwareCore;
  readonly #ids: KeySetIds;
  readonly #ctx: OperationContext;
  readonly #run: AuditedRunner;
  readonly #text: string;

  constructor(core: SoftwareCore, ids: KeySetIds, keyVersion: number, keyLength: 16 | 24 | 32, kcvs: readonly string[], ctx: OperationContext, run: AuditedRunner) {
    this.keyVersion = keyVersion;
    this.keyLength = keyLength;
    this.#core = core;
    this.#ids = { enc: ids.enc, mac: ids.mac, dek: ids.dek };
    this.#ctx = ctx;
    this.#run = run;
    this.#text = describe('HsmScp03Keys', keyVersion, ids, kcvs);
  }

  deriveSession(context: Scp03SessionContext): Promise<Scp03SessionKeys> {
    return this.#run('scp03HostKeys.deriveSession', async (trail) => {
      const { enc, mac } = await loadKeySet(this.#core, this.#ids, this.#ctx, trail);
      const vault = this.#core.vault;
      return vault.withKey(enc.record, (e) => vault.withKey(mac.record, (m) => deriveScp03SessionKeys({ enc: e, mac: m }, context)));
    });
  }

  cardChallenge(context: Scp03ChallengeContext): Promise<Uint8Array> {
    return this.#run('scp03HostKeys.cardChallenge', async (trail) => {
      const { enc } = await loadKeySet(this.#core, this.#ids, this.#ctx, trail);
      return this.#core.vault.withKey(enc.record, (e) => scp03CardChallenge(e, context.sequenceCounter, context.sdAid, context.length));
    });
  }

  encryptSensitive(data: Uint8Array, _context: ScpKeyContext): Promise<Uint8Array> {
    return this.#run('scp03HostKeys.encryptSensitive', async (trail) => {
      if (!(data instanceof Uint8Array) || data.length === 0 || data.length % 16 !== 0) {
        throw new HsmError('ERR_HSM_PARAM', 'SCP03 sensitive data: a non-empty multiple of 16 bytes (no implicit padding)');
      }
      const { dek } = await loadKeySet(this.#core, this.#ids, this.#ctx, trail);
      // Amd D v1.1.1 §6.2.8: the static DEK, AES-CBC, ICV zero
      return this.#core.vault.withKey(dek.record, (d) => aesCbcEncrypt(d, data, { iv: new Uint8Array(16) }));
    });
  }

  toString(): string {
    return this.#text;
  }

  toJSON(): string {
    return this.#text;
  }

  [inspect.custom](): string {
    return this.#text;
  }
}

/** SCP02 host keys over stored double-length TDES keys (GPC 2.3.1 §E.4). LEGACY (SCP02, 3DES). */
export class HsmScp02Keys implements Scp02HostKeys {
  readonly scp = 2 as const;
  readonly keyVersion: number;
  readonly #core: SoftwareCore;
  readonly #ids: KeySetIds;
  readonly #ctx: OperationContext;
  readonly #run: AuditedRunner;
  readonly #text: string;

  constructor(core: SoftwareCore, ids: KeySetIds, keyVersion: number, kcvs: readonly string[], ctx: OperationContext, run: AuditedRunner) {
    this.keyVersion = keyVersion;
    this.#core = core;
    this.#ids = { enc: ids.enc, mac: ids.mac, dek: ids.dek };
    this.#ctx = ctx;
    this.#run = run;
    this.#text = describe('HsmScp02Keys', keyVersion, ids, kcvs);
  }

  deriveSession(context: Scp02SessionContext): Promise<Scp02SessionKeys> {
    return this.#run('scp02HostKeys.deriveSession', async (trail) => {
      const { enc, mac, dek } = await loadKeySet(this.#core, this.#ids, this.#ctx, trail);
      const vault = this.#core.vault;
      return vault.withKey(enc.record, (e) =>
        vault.withKey(mac.record, (m) =>
          vault.withKey(dek.record, (d) => deriveScp02SessionKeys({ enc: e, mac: m, dek: d }, context.sequenceCounter)),
        ),
      );
    });
  }

  toString(): string {
    return this.#text;
  }

  toJSON(): string {
    return this.#text;
  }

  [inspect.custom](): string {
    return this.#text;
  }
}
