/**
 * Card batches (ARCHITECTURE.md §3, SEI side): the ISD master keys of a batch of SEs, delivered by
 * the card factory as TR-31 blocks under a transport KBPK with their KCVs (as src/cli/demo/phones.ts
 * reads the factory's key file), imported into the MNO's tenant; per-SE ISD keys are diversified
 * from them in the HSM (`hsm.diversifyGpKeys`: CPG 2.04 "emv", VISA2, KDF3).
 */
import { randomUUID } from 'node:crypto';
import { DIVERSIFICATION_METHODS, type DiversificationMethod } from '../../gp/index.ts';
import type { KeyHandle } from '../../hsm/index.ts';
import { getSeBatch, insertSeBatch } from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import { resolveKey } from '../http/tenant-keys.ts';
import type { RegistryContext } from './context.ts';
import { forField } from './key-errors.ts';

/** The diversification methods a batch may name (gp/'s names). */
export const BATCH_METHODS = Object.keys(DIVERSIFICATION_METHODS) as DiversificationMethod[];

/** A master key as the factory delivers it: a TR-31 block and its KCV (hex). */
export interface DeliveredKey {
  readonly block: string;
  readonly kcv: string;
}

export interface BatchImport {
  readonly method: DiversificationMethod;
  /** The KBPK (usage K1) the blocks are under: key id or label of the MNO's tenant. */
  readonly kbpk: string;
  readonly keys: { readonly enc: DeliveredKey; readonly mac: DeliveredKey; readonly dek: DeliveredKey };
}

/** A batch as the registry keeps it. */
export interface SeBatch {
  readonly batchId: string;
  readonly mno: string;
  readonly method: DiversificationMethod;
  readonly masters: { readonly enc: string; readonly mac: string; readonly dek: string };
}

async function importMaster(rc: RegistryContext, kbpk: string, role: 'enc' | 'mac' | 'dek', key: DeliveredKey, batchId: string, method: DiversificationMethod): Promise<KeyHandle> {
  const label = `ISD master ${role.toUpperCase()} (${batchId})`;
  const handle = await forField(`keys.${role}.block`, () => rc.hsm.importKeyBlock(kbpk, key.block, { owner: rc.ctx.tenant, label }, rc.ctx));
  const given = key.kcv.toUpperCase();
  const n = Math.min(given.length, handle.kcv.length);
  // KCVs are not secret: a plain compare. The key stays in the HSM under its label, unreferenced.
  if (handle.kcv.toUpperCase().slice(0, n) !== given.slice(0, n)) throw new TsmError('ERR_TSM_REQUEST', `keys.${role}.kcv: does not match the imported key`);
  if (handle.attributes.usage !== 'B3') throw new TsmError('ERR_TSM_REQUEST', `keys.${role}.block: expected a key of usage B3 (GP master)`);
  const want = DIVERSIFICATION_METHODS[method].algorithm === 'aes' ? 'A' : 'T';
  if (handle.attributes.algorithm !== want || (want === 'T' && handle.attributes.length !== 16)) {
    throw new TsmError('ERR_TSM_REQUEST', `keys.${role}.block: ${method} diversifies ${want === 'A' ? 'AES' : 'double-length TDES'} masters`);
  }
  return handle;
}

/** Imports a batch's three masters (each KCV checked) and records the batch; returns it. */
export async function importBatch(rc: RegistryContext, request: BatchImport): Promise<SeBatch> {
  if (!BATCH_METHODS.includes(request.method)) throw new TsmError('ERR_TSM_REQUEST', `method: one of ${BATCH_METHODS.join(', ')}`);
  const kbpk = await resolveKey(rc.hsm, request.kbpk, 'kbpk', 'K1', rc.ctx);
  const batchId = `batch_${randomUUID()}`;
  const masters = {
    enc: (await importMaster(rc, kbpk.id, 'enc', request.keys.enc, batchId, request.method)).id,
    mac: (await importMaster(rc, kbpk.id, 'mac', request.keys.mac, batchId, request.method)).id,
    dek: (await importMaster(rc, kbpk.id, 'dek', request.keys.dek, batchId, request.method)).id,
  };
  await insertSeBatch(rc.db, { id: batchId, mno: rc.ctx.tenant, method: request.method, ...masters, created_at: rc.now().toISOString() });
  return { batchId, mno: rc.ctx.tenant, method: request.method, masters };
}

/** The MNO's batch `batchId`; ERR_TSM_NOT_FOUND naming `field` otherwise. */
export async function batchOf(rc: RegistryContext, batchId: string, field: string): Promise<SeBatch> {
  const row = await getSeBatch(rc.db, rc.ctx.tenant, batchId);
  if (row === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', `${field}: no such batch`);
  return { batchId: row.id, mno: row.mno, method: row.method as DiversificationMethod, masters: { enc: row.enc, mac: row.mac, dek: row.dek } };
}
