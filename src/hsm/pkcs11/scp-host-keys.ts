/**
 * gp/'s host key interfaces (Scp03HostKeys, Scp02HostKeys) over a Security Domain's static keys on
 * the token. The static keys never leave it: gp/ derives the session keys with held keys
 * (held.ts), each SP 800-108 KDF block (SCP03) or 3DES-CBC pass (SCP02) being one token call.
 *
 * HOST MEMORY: the session keys. SoftHSM2 has no SP 800-108 mechanism, and the secure channel
 * needs a MAC and a cipher per APDU, so the session keys (S-ENC, S-MAC, S-RMAC; SCP02 S-ENC, C-MAC,
 * session DEK) are the token's CMAC / CBC outputs returned to host memory, held inside gp/'s
 * session object for the session's lifetime and zeroed by its close(). A session key is good for
 * one card session only; the static keys it comes from stay in the token.
 *
 * Every call is an audited operation that reloads the keys, so a key destroyed or retired meanwhile
 * stops working at once (as the software backend's scp-host-keys.ts).
 */
import { inspect } from 'node:util';
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
import { CKM } from './ck.ts';
import type { Pkcs11Core } from './core.ts';
import type { TokenKey } from './key-objects.ts';
import { buf } from './token.ts';

/** Runs one audited operation with the context the key holder was created for. */
export type AuditedRunner = <T>(operation: string, body: (trail: Trail) => Promise<T> | T) => Promise<T>;

/** A Security Domain key set by key id. */
export interface KeySetIds {
  readonly enc: string;
  readonly mac: string;
  readonly dek: string;
}

interface KeySet {
  readonly enc: TokenKey;
  readonly mac: TokenKey;
  readonly dek: TokenKey;
}

/** Loads the key set: ENC and MAC with their roles (scp-session), the DEK (card-wrap). */
export function loadKeySet(core: Pkcs11Core, ids: KeySetIds, ctx: OperationContext, trail: Trail): KeySet {
  const enc = core.keys.usable(ids?.enc, 'scp-session', ctx, trail);
  const mac = core.keys.usable(ids.mac, 'scp-session', ctx, trail);
  const dek = core.keys.usable(ids.dek, 'card-wrap', ctx, trail);
  if (enc.meta.attributes.label !== 'GP-ENC' || mac.meta.attributes.label !== 'GP-MAC') {
    throw new HsmError('ERR_HSM_USAGE', 'the ENC key must have the role GP-ENC and the MAC key GP-MAC');
  }
  return { enc, mac, dek };
}

/** Checks one algorithm and length across the set; returns the length. */
export function keySetLength(set: KeySet, algorithm: 'T' | 'A', lengths: readonly number[]): number {
  const all = [set.enc, set.mac, set.dek].map((k) => k.meta.attributes);
  const length = all[0]!.length;
  if (all.some((a) => a.algorithm !== algorithm || a.length !== length) || !lengths.includes(length)) {
    throw new HsmError('ERR_HSM_USAGE', `the key set must be three ${algorithm === 'A' ? 'AES' : 'TDES'} keys of one length (${lengths.join(', ')} bytes)`);
  }
  return length;
}

function describe(name: string, keyVersion: number, ids: KeySetIds, set: KeySet): string {
  const kvn = keyVersion.toString(16).toUpperCase().padStart(2, '0');
  return `${name}(KVN ${kvn}, ENC ${ids.enc} KCV ${set.enc.meta.kcv}, MAC ${ids.mac} KCV ${set.mac.meta.kcv}, DEK ${ids.dek} KCV ${set.dek.meta.kcv})`;
}

abstract class TokenScpKeys {
  readonly keyVersion: number;
  protected readonly core: Pkcs11Core;
  protected readonly ids: KeySetIds;
  protected readonly ctx: OperationContext;
  protected readonly run: AuditedRunner;
  readonly #text: string;

  constructor(core: Pkcs11Core, ids: KeySetIds, keyVersion: number, set: KeySet, ctx: OperationContext, run: AuditedRunner, name: string) {
    this.keyVersion = keyVersion;
    this.core = core;
    this.ids = { enc: ids.enc, mac: ids.mac, dek: ids.dek };
    this.ctx = ctx;
    this.run = run;
    this.#text = describe(name, keyVersion, ids, set);
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

/** SCP03 host keys over token AES keys (GPC Amd D v1.1.1 §6.2). */
export class TokenScp03Keys extends TokenScpKeys implements Scp03HostKeys {
  readonly scp = 3 as const;
  readonly keyLength: 16 | 24 | 32;

  constructor(core: Pkcs11Core, ids: KeySetIds, keyVersion: number, set: KeySet, ctx: OperationContext, run: AuditedRunner) {
    super(core, ids, keyVersion, set, ctx, run, 'TokenScp03Keys');
    this.keyLength = keySetLength(set, 'A', [16, 24, 32]) as 16 | 24 | 32;
  }

  deriveSession(context: Scp03SessionContext): Promise<Scp03SessionKeys> {
    return this.run('scp03HostKeys.deriveSession', (trail) => {
      const { enc, mac } = loadKeySet(this.core, this.ids, this.ctx, trail);
      // HOST MEMORY (file header): S-ENC, S-MAC, S-RMAC = the token's CMACs of the KDF blocks
      // under the static ENC/MAC, kept by gp/'s session object until its close()
      return deriveScp03SessionKeys({ enc: this.core.keys.held(enc), mac: this.core.keys.held(mac) }, context);
    });
  }

  cardChallenge(context: Scp03ChallengeContext): Promise<Uint8Array> {
    return this.run('scp03HostKeys.cardChallenge', (trail) => {
      const { enc } = loadKeySet(this.core, this.ids, this.ctx, trail);
      // Amd D §6.2.2.1: KDF under the static ENC, each block a token CMAC; the output is a challenge, not a key
      return scp03CardChallenge(this.core.keys.held(enc), context.sequenceCounter, context.sdAid, context.length);
    });
  }

  encryptSensitive(data: Uint8Array, _context: ScpKeyContext): Promise<Uint8Array> {
    return this.run('scp03HostKeys.encryptSensitive', (trail) => {
      if (!(data instanceof Uint8Array) || data.length === 0 || data.length % 16 !== 0) {
        throw new HsmError('ERR_HSM_PARAM', 'SCP03 sensitive data: a non-empty multiple of 16 bytes (no implicit padding)');
      }
      const { dek } = loadKeySet(this.core, this.ids, this.ctx, trail);
      // Amd D v1.1.1 §6.2.8: the static DEK, AES-CBC, ICV zero — in the token
      return this.core.token.encrypt({ mechanism: CKM.AES_CBC, parameter: buf(new Uint8Array(16)) }, dek.object, data);
    });
  }
}

/** SCP02 host keys over token double-length TDES keys (GPC 2.3.1 §E.4). LEGACY (SCP02, 3DES). */
export class TokenScp02Keys extends TokenScpKeys implements Scp02HostKeys {
  readonly scp = 2 as const;

  constructor(core: Pkcs11Core, ids: KeySetIds, keyVersion: number, set: KeySet, ctx: OperationContext, run: AuditedRunner) {
    super(core, ids, keyVersion, set, ctx, run, 'TokenScp02Keys');
    keySetLength(set, 'T', [16]);
  }

  deriveSession(context: Scp02SessionContext): Promise<Scp02SessionKeys> {
    return this.run('scp02HostKeys.deriveSession', (trail) => {
      const { enc, mac, dek } = loadKeySet(this.core, this.ids, this.ctx, trail);
      const held = this.core.keys;
      // HOST MEMORY (file header): S-ENC, C-MAC and the session DEK = the token's 3DES-CBC outputs
      // under the static keys, kept by gp/'s session object until its close()
      return deriveScp02SessionKeys({ enc: held.held(enc), mac: held.held(mac), dek: held.held(dek) }, context.sequenceCounter);
    });
  }
}
