/**
 * The SP catalog routes' JSON Schemas (docs/service.md "SP API"): services with their flavours, key
 * references of the SP's tenant, the issuer certificate as hex, an uploaded CAP as base64; the
 * eligibility request names an SE by id or by subscription alias.
 */
import { MAX_FLAVOURS, NON_ELIGIBILITY_REASONS } from '../catalog/index.ts';
import { SE_ID } from './mno-schemas.ts';
import { errorResponses, hexSchema, ID_SCHEMA, keyRefSchema, objectSchema, type JsonSchema } from './schemas.ts';

const AID = (what: string): JsonSchema => hexSchema(5, 16, what);
const PLATFORM: JsonSchema = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'the SE platform profile this flavour is for' };

export const SERVICE_PARAMS: JsonSchema = objectSchema({ serviceId: ID_SCHEMA }, ['serviceId']);

export const FLAVOUR: JsonSchema = objectSchema(
  {
    platform: PLATFORM,
    package: objectSchema(
      {
        loadFileAid: AID('Load File (package) AID'),
        moduleAid: AID('Executable Module (applet) AID'),
        cap: { type: 'string', minLength: 4, pattern: '^[A-Za-z0-9+/]+={0,2}$', description: 'the CAP file (zip), base64; absent: the package is preloaded on the platform' },
      },
      ['loadFileAid', 'moduleAid'],
    ),
    instanceAid: AID('application instance AID'),
    privileges: { type: 'string', pattern: '^([0-9A-Fa-f]{2}|[0-9A-Fa-f]{6})$', description: 'GP privileges, 1 or 3 bytes hex (GPC 2.3.1 Table 6-1)' },
    ssd: objectSchema({ aid: AID('the SP\'s SSD AID'), kvn: { type: 'integer', minimum: 1, maximum: 127 } }, ['aid', 'kvn']),
    personalization: { type: 'string', enum: ['payment'] },
  },
  ['platform', 'package', 'instanceAid', 'privileges', 'ssd', 'personalization'],
);

export const SERVICE_BODY: JsonSchema = objectSchema(
  {
    name: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x20-\\x7E]+$' },
    walletCertHash: { type: 'string', pattern: '^([0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$', description: 'SHA-1 or SHA-256 of the wallet app\'s signing certificate (ARA-M DeviceAppID)' },
    accessRules: { type: 'string', enum: ['ara-m', 'ara-c'], description: 'where the wallet\'s access rule lives: the ARA-M through the ISD (default) or an ARA-C in the SP\'s SSD (docs/access-rules.md)' },
    issuer: objectSchema(
      {
        imkAc: keyRefSchema('IMK-AC (E0)'), imkSmi: keyRefSchema('IMK-SMI (E2)'), imkSmc: keyRefSchema('IMK-SMC (E1)'),
        issuerKey: keyRefSchema('issuer RSA private key (S1)'),
        issuerCertificate: objectSchema(
          { certificate: hexSchema(64, 248, 'issuer public key certificate (90)'), remainder: hexSchema(0, 248, 'remainder (92), empty when none'), exponent: { type: 'string', enum: ['03', '010001'] } },
          ['certificate', 'remainder', 'exponent'],
        ),
        caPublicKeyIndex: { type: 'integer', minimum: 0, maximum: 255, description: 'CA public key index (8F)' },
      },
      ['imkAc', 'imkSmi', 'imkSmc', 'issuerKey', 'issuerCertificate', 'caPublicKeyIndex'],
    ),
    ssdMasters: objectSchema({ enc: keyRefSchema('SSD master ENC (B3)'), mac: keyRefSchema('SSD master MAC (B3)'), dek: keyRefSchema('SSD master DEK (B3)') }, ['enc', 'mac', 'dek']),
    flavours: { type: 'array', minItems: 1, maxItems: MAX_FLAVOURS, items: FLAVOUR },
  },
  ['name', 'walletCertHash', 'issuer', 'ssdMasters', 'flavours'],
);

const FLAVOUR_OUT: JsonSchema = objectSchema(
  {
    platform: { type: 'string' },
    package: objectSchema(
      { loadFileAid: { type: 'string' }, moduleAid: { type: 'string' }, cap: objectSchema({ size: { type: 'integer' }, sha256: { type: 'string' } }, ['size', 'sha256'], 'the uploaded CAP\'s size and SHA-256') },
      ['loadFileAid', 'moduleAid'],
    ),
    instanceAid: { type: 'string' },
    privileges: { type: 'string' },
    ssd: objectSchema({ aid: { type: 'string' }, kvn: { type: 'integer' } }, ['aid', 'kvn']),
    personalization: { type: 'string' },
  },
  ['platform', 'package', 'instanceAid', 'privileges', 'ssd', 'personalization'],
);

export const SERVICE_RESPONSE: JsonSchema = objectSchema(
  {
    serviceId: { type: 'string' },
    name: { type: 'string' },
    walletCertHash: { type: 'string' },
    accessRules: { type: 'string', enum: ['ara-m', 'ara-c'] },
    issuer: objectSchema(
      {
        imkAc: { type: 'string' }, imkSmi: { type: 'string' }, imkSmc: { type: 'string' }, issuerKey: { type: 'string' },
        caPublicKeyIndex: { type: 'integer' },
      },
      ['imkAc', 'imkSmi', 'imkSmc', 'issuerKey', 'caPublicKeyIndex'],
      'key ids of the SP\'s tenant',
    ),
    ssdMasters: objectSchema({ enc: { type: 'string' }, mac: { type: 'string' }, dek: { type: 'string' } }, ['enc', 'mac', 'dek']),
    flavours: { type: 'array', items: FLAVOUR_OUT },
    createdAt: { type: 'string' },
  },
  ['serviceId', 'name', 'walletCertHash', 'issuer', 'ssdMasters', 'flavours', 'createdAt'],
);

export const SERVICE_LIST_RESPONSE: JsonSchema = objectSchema(
  { services: { type: 'array', items: SERVICE_RESPONSE, description: 'the SP\'s services by id, at most 1,000 (no paging yet)' } },
  ['services'],
);

export const ELIGIBILITY_BODY: JsonSchema = objectSchema(
  { seId: SE_ID, subscription: { type: 'string', pattern: '^msa_[0-9a-f]{32}$', description: 'the subscription alias the MNO gave' } },
  [],
  'exactly one of seId and subscription',
);
export const ELIGIBILITY_RESPONSE: JsonSchema = objectSchema(
  { eligible: { type: 'boolean' }, reasons: { type: 'array', items: { type: 'string', enum: [...NON_ELIGIBILITY_REASONS] } } },
  ['eligible', 'reasons'],
);

export const CATALOG_ERRORS = errorResponses(404, 409);
