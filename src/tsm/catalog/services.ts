/**
 * The SP's service catalog (ARCHITECTURE.md §1; GPS_SPE_002 GlobalServiceManagement, research/tsm.md
 * §1.3): a service, its flavours per SE platform (a preloaded package or an uploaded CAP, instance
 * AID, privileges, SSD), its wallet app's certificate hash, its issuer keys and SSD master keys —
 * key references resolved in the SP's tenant and checked for usage when the service is written.
 */
import { createHash, randomUUID } from 'node:crypto';
import { fromHex, toHex } from '../../bytes/index.ts';
import { parseCapFile } from '../../gp/index.ts';
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import { getService, insertService, listServices as listServiceRows, updateServiceRecord, type StoreDb, type StoredService } from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import { resolveKey } from '../http/tenant-keys.ts';
import type { ServiceFlavour, ServiceRecord } from '../model.ts';

/** What catalog operations run with; `ctx.tenant` is the SP. */
export interface CatalogContext {
  readonly db: StoreDb;
  readonly hsm: Hsm;
  readonly ctx: OperationContext;
  readonly now: () => Date;
}

/** Most flavours a service has; longest CAP accepted, in bytes (the store keeps a service in ≤ 1 MiB of text). */
export const MAX_FLAVOURS = 16;
export const MAX_CAP_BYTES = 512 * 1024;

/** A service as the SP writes it: key references (ids or labels), certificate fields as hex. */
export interface ServiceDefinition {
  readonly name: string;
  readonly walletCertHash: string;
  /** Where the wallet's access rule lives (ServiceRecord.accessRules); absent = 'ara-m'. */
  readonly accessRules?: 'ara-m' | 'ara-c';
  readonly issuer: {
    readonly imkAc: string; readonly imkSmi: string; readonly imkSmc: string; readonly issuerKey: string;
    readonly issuerCertificate: { readonly certificate: string; readonly remainder: string; readonly exponent: string };
    readonly caPublicKeyIndex: number;
  };
  readonly ssdMasters: { readonly enc: string; readonly mac: string; readonly dek: string };
  readonly flavours: readonly ServiceFlavour[];
}

/** What the store keeps (JSON): the record without its id, owner and time, the certificate as hex. */
interface StoredDefinition {
  readonly walletCertHash: string;
  /** Stored only when not the default ('ara-m'), so existing rows read unchanged. */
  readonly accessRules?: 'ara-c';
  readonly issuer: Omit<ServiceDefinition['issuer'], never>;
  readonly ssdMasters: ServiceDefinition['ssdMasters'];
  readonly flavours: readonly ServiceFlavour[];
}

const up = (hex: string): string => hex.toUpperCase();

/** Checks `accessRules` (absent = 'ara-m'); returns what the store keeps: 'ara-c' or nothing. */
export function checkAccessRules(value: unknown): { readonly accessRules?: 'ara-c' } {
  if (value === undefined || value === 'ara-m') return {};
  if (value === 'ara-c') return { accessRules: 'ara-c' };
  throw new TsmError('ERR_TSM_REQUEST', "accessRules: 'ara-m' or 'ara-c'");
}

/** Checks a flavour (the CAP parses, its package and module AIDs are the flavour's) and normalises its hex. */
export function checkFlavour(f: ServiceFlavour, field: string): ServiceFlavour {
  const pkg = { loadFileAid: up(f.package.loadFileAid), moduleAid: up(f.package.moduleAid) };
  if (f.package.cap !== undefined) {
    const bytes = new Uint8Array(Buffer.from(f.package.cap, 'base64'));
    if (bytes.length > MAX_CAP_BYTES) throw new TsmError('ERR_TSM_REQUEST', `${field}.package.cap: at most ${MAX_CAP_BYTES} bytes`);
    let cap;
    try {
      cap = parseCapFile(bytes);
    } catch (cause) {
      throw new TsmError('ERR_TSM_REQUEST', `${field}.package.cap: not a CAP file (base64 of the zip)`, { cause });
    }
    if (toHex(cap.packageAid) !== pkg.loadFileAid) throw new TsmError('ERR_TSM_REQUEST', `${field}.package.loadFileAid: not the CAP's package AID`);
    if (!cap.appletAids.some((a) => toHex(a) === pkg.moduleAid)) throw new TsmError('ERR_TSM_REQUEST', `${field}.package.moduleAid: not an applet of the CAP`);
  }
  return {
    platform: f.platform, package: { ...pkg, ...(f.package.cap === undefined ? {} : { cap: f.package.cap }) }, instanceAid: up(f.instanceAid),
    privileges: up(f.privileges), ssd: { aid: up(f.ssd.aid), kvn: f.ssd.kvn }, personalization: f.personalization,
  };
}

function checkFlavours(flavours: readonly ServiceFlavour[]): ServiceFlavour[] {
  if (flavours.length === 0 || flavours.length > MAX_FLAVOURS) throw new TsmError('ERR_TSM_REQUEST', `flavours: 1 to ${MAX_FLAVOURS}`);
  const seen = new Set<string>();
  return flavours.map((f, i) => {
    if (seen.has(f.platform)) throw new TsmError('ERR_TSM_REQUEST', `flavours[${i}].platform: a second flavour for this platform`);
    seen.add(f.platform);
    return checkFlavour(f, `flavours[${i}]`);
  });
}

/** Resolves every key reference in the SP's tenant, checked for its usage; returns the key ids. */
async function resolveKeys(cc: CatalogContext, d: ServiceDefinition): Promise<Pick<StoredDefinition, 'issuer' | 'ssdMasters'>> {
  const key = async (ref: string, field: string, usage: string) => (await resolveKey(cc.hsm, ref, field, usage, cc.ctx)).id;
  const [imkAc, imkSmi, imkSmc, issuerKey, enc, mac, dek] = await Promise.all([
    key(d.issuer.imkAc, 'issuer.imkAc', 'E0'), key(d.issuer.imkSmi, 'issuer.imkSmi', 'E2'), key(d.issuer.imkSmc, 'issuer.imkSmc', 'E1'),
    key(d.issuer.issuerKey, 'issuer.issuerKey', 'S1'),
    key(d.ssdMasters.enc, 'ssdMasters.enc', 'B3'), key(d.ssdMasters.mac, 'ssdMasters.mac', 'B3'), key(d.ssdMasters.dek, 'ssdMasters.dek', 'B3'),
  ]);
  const c = d.issuer.issuerCertificate;
  return {
    issuer: { imkAc, imkSmi, imkSmc, issuerKey, issuerCertificate: { certificate: up(c.certificate), remainder: up(c.remainder), exponent: up(c.exponent) }, caPublicKeyIndex: d.issuer.caPublicKeyIndex },
    ssdMasters: { enc, mac, dek },
  };
}

/** A stored row as the model's record (certificate fields back to bytes). */
export function serviceFromRow(row: StoredService): ServiceRecord {
  const d = JSON.parse(row.record) as StoredDefinition;
  const c = d.issuer.issuerCertificate;
  return {
    serviceId: row.id, sp: row.sp, name: row.name, flavours: d.flavours, walletCertHash: d.walletCertHash,
    ...(d.accessRules === 'ara-c' ? { accessRules: 'ara-c' as const } : {}),
    issuer: { ...d.issuer, issuerCertificate: { certificate: fromHex(c.certificate), remainder: fromHex(c.remainder), exponent: fromHex(c.exponent) } },
    ssdMasters: d.ssdMasters, createdAt: row.created_at,
  };
}

/** Creates a service of the calling SP; returns it. */
export async function createService(cc: CatalogContext, d: ServiceDefinition): Promise<ServiceRecord> {
  const flavours = checkFlavours(d.flavours);
  const accessRules = checkAccessRules(d.accessRules);
  const keys = await resolveKeys(cc, d);
  const at = cc.now().toISOString();
  const stored: StoredDefinition = { walletCertHash: up(d.walletCertHash), ...accessRules, ...keys, flavours };
  const row: StoredService = { id: `svc_${randomUUID()}`, sp: cc.ctx.tenant, name: d.name, record: JSON.stringify(stored), created_at: at, updated_at: at };
  await insertService(cc.db, row);
  return serviceFromRow(row);
}

/** The SP's service `serviceId`; ERR_TSM_NOT_FOUND for a missing one and another SP's. */
export async function spService(cc: CatalogContext, serviceId: string): Promise<ServiceRecord> {
  const row = await getService(cc.db, serviceId, cc.ctx.tenant);
  if (row === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', 'serviceId: no such service');
  return serviceFromRow(row);
}

/** Any SP's service (the deploy job), or undefined. */
export async function findService(db: StoreDb, serviceId: string): Promise<ServiceRecord | undefined> {
  const row = await getService(db, serviceId);
  return row === undefined ? undefined : serviceFromRow(row);
}

/** The SP's services by id, a page of at most `limit` after `after`. */
export async function listSpServices(cc: CatalogContext, limit: number, after?: string): Promise<readonly ServiceRecord[]> {
  return (await listServiceRows(cc.db, cc.ctx.tenant, limit, after)).map(serviceFromRow);
}

/** Adds the flavour, or replaces the one for its platform; returns the service and whether it replaced one. */
export async function putFlavour(cc: CatalogContext, serviceId: string, flavour: ServiceFlavour): Promise<{ service: ServiceRecord; replaced: boolean }> {
  const checked = checkFlavour(flavour, 'body');
  for (let attempt = 0; attempt < 3; attempt++) {
    const row = await getService(cc.db, serviceId, cc.ctx.tenant);
    if (row === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', 'serviceId: no such service');
    const d = JSON.parse(row.record) as StoredDefinition;
    const replaced = d.flavours.some((f) => f.platform === checked.platform);
    const flavours = replaced ? d.flavours.map((f) => (f.platform === checked.platform ? checked : f)) : [...d.flavours, checked];
    if (flavours.length > MAX_FLAVOURS) throw new TsmError('ERR_TSM_REQUEST', `flavours: at most ${MAX_FLAVOURS}`);
    const record = JSON.stringify({ ...d, flavours });
    let at = cc.now().toISOString();
    if (at === row.updated_at) at = new Date(Date.parse(at) + 1).toISOString();
    if (await updateServiceRecord(cc.db, serviceId, cc.ctx.tenant, record, row.updated_at, at)) {
      return { service: serviceFromRow({ ...row, record, updated_at: at }), replaced };
    }
  }
  throw new TsmError('ERR_TSM_CONFLICT', 'serviceId: changed concurrently; send the flavour again');
}

/** SHA-256 of a flavour's CAP (hex), to show instead of the CAP itself. */
export function capDigest(cap: string): { readonly size: number; readonly sha256: string } {
  const bytes = Buffer.from(cap, 'base64');
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex').toUpperCase() };
}
