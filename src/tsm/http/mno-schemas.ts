/**
 * The MNO routes' JSON Schemas (docs/service.md "MNO API"): batches, SE registration, subscriptions,
 * notifications. Bytes as hex, key references as ids or labels of the MNO's tenant, TR-31 blocks as
 * their printable text; notifications as a union tagged by the GP function name (GPS_SPE_002).
 */
import { BATCH_METHODS, MAX_SCP80_KEY_SETS, MAX_SE_REGISTRATION, NOTIFICATION_KINDS } from '../registry/index.ts';
import { errorResponses, hexSchema, ID_SCHEMA, keyRefSchema, objectSchema, type JsonSchema } from './schemas.ts';

/** An SE id: the operator's identifier (ICCID, CPLC-derived…), letters, digits, `.`, `_`, `-`, at most 64. */
export const SE_ID: JsonSchema = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'the SE id (global: an ICCID or CPLC-derived id)' };
const PLATFORM: JsonSchema = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'SE platform profile (matches service flavours), e.g. strict-ese' };
const AID = (what: string): JsonSchema => hexSchema(5, 16, what);
const TR31 = (what: string): JsonSchema => ({ type: 'string', pattern: '^[\\x21-\\x7E]{16,9992}$', description: `${what}: a TR-31 key block (printable ASCII)` });
const MSISDN: JsonSchema = { type: 'string', pattern: '^[0-9]{6,15}$', description: 'MSISDN, E.164 digits without +; stored only as a keyed hash' };
const REASON: JsonSchema = { type: 'integer', minimum: 0, maximum: 2147483647, description: 'GP reason code: 21 theft, 22 lost, 23 lost-or-theft, 11 NFC suspended, 121 recovered, 111 NFC restored' };

export const SE_PARAMS: JsonSchema = objectSchema({ seId: SE_ID }, ['seId']);
export const SUBSCRIPTION_PARAMS: JsonSchema = objectSchema({ subscriptionId: ID_SCHEMA }, ['subscriptionId']);

const DELIVERED = (role: string): JsonSchema => objectSchema(
  { block: TR31(`the ${role} master`), kcv: hexSchema(3, 5, 'its key check value as the factory states it') },
  ['block', 'kcv'],
);

export const BATCH_BODY: JsonSchema = objectSchema(
  {
    method: { type: 'string', enum: [...BATCH_METHODS], description: 'diversification: kdf3 (SCP03, AES), emv (EMV CPG 2.04), visa2' },
    kbpk: keyRefSchema('the transport KBPK (usage K1) of the MNO tenant: key id or label'),
    keys: objectSchema({ enc: DELIVERED('ENC'), mac: DELIVERED('MAC'), dek: DELIVERED('DEK') }, ['enc', 'mac', 'dek']),
  },
  ['method', 'kbpk', 'keys'],
);
export const BATCH_RESPONSE: JsonSchema = objectSchema({ batchId: { type: 'string' } }, ['batchId']);

/** Flat, so that a schema error names the field; the handler checks the combination (isd.keys.*). */
const ISD_KEYS: JsonSchema = objectSchema(
  {
    batchId: ID_SCHEMA,
    kdd: hexSchema(10, 10, 'key diversification data (INITIALIZE UPDATE response bytes 1–10)'),
    kbpk: keyRefSchema('KBPK (K1) of the per-SE blocks'),
    enc: TR31('GP-ENC (E5)'),
    mac: TR31('GP-MAC (E5)'),
    dek: TR31('GP-DEK (K0)'),
  },
  [],
  'either {batchId, kdd}: derived from the batch\'s masters, or {kbpk, enc, mac, dek}: per-SE TR-31 blocks',
);

/** A wrapped key as the factory's key file shows it. */
const KEY_FILE_KEY = (what: string): JsonSchema => objectSchema(
  { keyBlock: TR31(what), kcv: hexSchema(3, 5, 'its key check value as the factory states it'), kcvMethod: { type: 'string', maxLength: 32, description: 'informative' } },
  ['keyBlock', 'kcv'],
);

/** One SCP80 key set as a key file card entry's scp80[] item (src/se/factory/key-file.ts). */
const SCP80_KEY_SET: JsonSchema = objectSchema(
  {
    kvn: hexSchema(1, 1, 'key version number'),
    algorithm: { type: 'string', maxLength: 16, description: 'informative: the bytes say it' },
    kicByte: hexSchema(1, 1, 'the KIc byte of a command packet (ETSI TS 102 225 §5.1.2)'),
    kidByte: hexSchema(1, 1, 'the KID byte (ETSI TS 102 225 §5.1.3); AES CMAC'),
    counter: { type: 'integer', minimum: 0, maximum: 1099511627775, description: 'the card\'s counter: the TSM\'s next is higher' },
    kic: KEY_FILE_KEY('KIc (D0)'),
    kid: KEY_FILE_KEY('KID (M6)'),
  },
  ['kicByte', 'kidByte', 'kic', 'kid'],
);

const SE_ITEM: JsonSchema = objectSchema(
  {
    seId: SE_ID,
    platform: PLATFORM,
    isd: objectSchema(
      {
        aid: AID('ISD AID'),
        kvn: { type: 'integer', minimum: 1, maximum: 127, description: 'key version number of the ISD key set' },
        scp: { type: 'integer', enum: [2, 3] },
        keys: ISD_KEYS,
      },
      ['aid', 'kvn', 'scp', 'keys'],
    ),
    araAid: AID('ARA-M AID'),
    ota: objectSchema(
      {
        tars: {
          type: 'array', minItems: 1, maxItems: 16,
          items: { anyOf: [hexSchema(3, 3, 'a TAR'), objectSchema({ tar: hexSchema(3, 3, 'a TAR'), sdAid: AID('the SD it addresses') }, ['tar'], 'a key file tars entry')] },
        },
        kbpk: keyRefSchema('KBPK (K1) of every block of ota (kic, kid, scp80, scp81)'),
        kic: TR31('KIc (legacy: no key bytes, so no trigger SMS; not with scp80)'),
        kid: TR31('KID (legacy; not with scp80)'),
        counter: hexSchema(5, 5, 'the OTA counter (CNTR)'),
        scp80: {
          type: 'array', minItems: 1, maxItems: MAX_SCP80_KEY_SETS, items: SCP80_KEY_SET,
          description: 'the key file card entry\'s scp80 key sets, verbatim; the first is the one the trigger SMS uses',
        },
        scp81: objectSchema(
          { kvn: hexSchema(1, 1, 'PSK key version'), identity: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x20-\\x7E]+$', description: 'the agent\'s TLS PSK identity' }, psk: KEY_FILE_KEY('the PSK (M7 HMAC; imported as class protocol-memory)') },
          ['kvn', 'identity', 'psk'],
          'the key file card entry\'s scp81, verbatim',
        ),
        msisdn: { ...MSISDN, description: 'the MSISDN the SCP81 trigger SMS goes to, E.164 digits without +; stored only sealed' },
      },
      ['tars'],
    ),
  },
  ['seId', 'platform', 'isd'],
);

export const SE_REGISTRATION_BODY: JsonSchema = objectSchema(
  { items: { type: 'array', minItems: 1, maxItems: MAX_SE_REGISTRATION, items: SE_ITEM } },
  ['items'],
);

const ITEM_ERROR: JsonSchema = objectSchema({ code: { type: 'string' }, message: { type: 'string' } }, ['code', 'message']);
export const SE_REGISTRATION_RESPONSE: JsonSchema = objectSchema(
  {
    created: { type: 'integer' },
    existing: { type: 'integer' },
    failed: { type: 'integer' },
    results: {
      type: 'array',
      items: objectSchema({ seId: { type: 'string' }, result: { type: 'string', enum: ['created', 'exists', 'error'] }, error: ITEM_ERROR }, ['seId', 'result']),
    },
  },
  ['created', 'existing', 'failed', 'results'],
);

export const SE_RESPONSE: JsonSchema = objectSchema(
  {
    seId: { type: 'string' },
    platform: { type: 'string' },
    status: { type: 'string', enum: ['active', 'locked', 'lost', 'stolen', 'terminated'] },
    isd: objectSchema({ aid: { type: 'string' }, kvn: { type: 'integer' }, scp: { type: 'integer' } }, ['aid', 'kvn', 'scp'], 'key ids are not shown'),
    araAid: { type: 'string' },
    ota: objectSchema(
      {
        tars: { type: 'array', items: { type: 'string' } },
        counter: { type: 'string' },
        scp80: { type: 'array', items: objectSchema({ kvn: { type: 'string' }, kicByte: { type: 'string' }, kidByte: { type: 'string' } }, ['kvn', 'kicByte', 'kidByte']) },
        scp81: objectSchema({ kvn: { type: 'string' }, identity: { type: 'string' } }, ['kvn', 'identity']),
        msisdn: { type: 'boolean', description: 'true when an MSISDN is registered (never shown)' },
      },
      ['tars'],
      'key ids are not shown, nor the MSISDN',
    ),
    createdAt: { type: 'string' },
  },
  ['seId', 'platform', 'status', 'isd', 'createdAt'],
);

/** ChangeSeTriggerMsisdn: the new number of an SE's trigger SMS. */
export const SE_MSISDN_BODY: JsonSchema = objectSchema({ msisdn: { ...MSISDN, description: 'the MSISDN the SCP81 trigger SMS goes to, E.164 digits without +; stored only sealed' } }, ['msisdn']);

export const SUBSCRIPTION_BODY: JsonSchema = objectSchema({ msisdn: MSISDN, seId: SE_ID }, ['msisdn', 'seId']);
export const SUBSCRIPTION_RESPONSE: JsonSchema = objectSchema(
  { subscriptionId: { type: 'string' }, alias: { type: 'string', description: 'what the SP knows the subscription by' } },
  ['subscriptionId', 'alias'],
);

/** Flat, so that a schema error names the field; which fields each kind needs is checked by the handler. */
export const NOTIFICATION_BODY: JsonSchema = objectSchema(
  {
    kind: { type: 'string', enum: [...NOTIFICATION_KINDS], description: 'the GP function (GPS_SPE_002 SELifeCycleNotification, MobileSubscriptionLifeCycleNotification)' },
    seId: SE_ID,
    subscriptionId: ID_SCHEMA,
    newStatus: { type: 'string', enum: ['SUSPENDED', 'ACTIVATED', 'RESTRICTED', 'TERMINATED'], description: 'status changes; RESTRICTED for subscriptions only' },
    reason: REASON,
    oldSeId: SE_ID,
    newSeId: SE_ID,
    newMsisdn: MSISDN,
    oldDeviceProfileId: { type: 'string', pattern: '^[\\x20-\\x7E]{1,64}$' },
    newDeviceProfileId: { type: 'string', pattern: '^[\\x20-\\x7E]{1,64}$' },
  },
  ['kind'],
  'one GP notification, tagged by its function name: HandleSEStatusChangeNotification {seId, newStatus, reason?}, HandleMobileSubscriptionStatusChangeNotification {subscriptionId, newStatus, reason?}, HandleSERenewalNotification {oldSeId, newSeId}, HandleSEMobileSubscriptionChangedNotification {seId, newMsisdn}, HandleSEDeviceChangedNotification {seId, oldDeviceProfileId?, newDeviceProfileId?}',
);
export const NOTIFICATION_RESPONSE: JsonSchema = objectSchema(
  {
    notificationId: { type: 'string' },
    seId: { type: 'string' },
    seStatus: { type: 'string', enum: ['active', 'locked', 'lost', 'stolen', 'terminated'] },
    subscription: objectSchema({ subscriptionId: { type: 'string' }, alias: { type: 'string' } }, ['subscriptionId', 'alias']),
  },
  ['notificationId', 'seId', 'seStatus'],
);

export const MNO_ERRORS = errorResponses(404, 409);
