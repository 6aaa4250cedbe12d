/**
 * The issuer routes' JSON Schemas (docs/payment-application.md §5; emv/authorization.ts): bytes as
 * hex, EMV data as an object of tag → hex, never a field the service does not read.
 */
import { CVN_PROFILES } from '../../emv/index.ts';
import { ISSUER_CARD_STATUSES } from '../issuer/issuer-service.ts';
import { ISSUER_SCRIPT_KINDS } from '../issuer/issuer-scripts.ts';
import { errorResponses, hexSchema, ID_SCHEMA, keyRefSchema, objectSchema, type JsonSchema } from './schemas.ts';

const PAN = { type: 'string', pattern: '^[0-9]{12,19}$', description: 'PAN (5A), 12 to 19 digits' } as const;
const PSN = { type: 'string', pattern: '^[0-9]{2}$', description: 'PAN sequence number (5F34), two digits' } as const;

export const CARD_PARAMS: JsonSchema = objectSchema({ cardId: ID_SCHEMA }, ['cardId']);

export const REGISTER_CARD_BODY: JsonSchema = objectSchema(
  {
    pan: PAN,
    psn: PSN,
    profile: { type: 'string', enum: Object.keys(CVN_PROFILES), description: 'CVN profile (docs/payment-application.md §2)' },
    imkAc: keyRefSchema('IMK-AC (usage E0): key id or label of the caller\'s tenant'),
    imkSmi: keyRefSchema('IMK-SMI (usage E2): key id or label'),
    imkSmc: keyRefSchema('IMK-SMC (usage E1): key id or label'),
  },
  ['pan', 'psn', 'profile', 'imkAc', 'imkSmi', 'imkSmc'],
);

export const CARD_ID_RESPONSE: JsonSchema = objectSchema({ cardId: { type: 'string' } }, ['cardId']);

export const AUTHORIZATION_BODY: JsonSchema = objectSchema(
  {
    pan: PAN,
    psn: PSN,
    cryptogram: hexSchema(8, 8, 'application cryptogram (9F26)'),
    cid: hexSchema(1, 1, 'cryptogram information data (9F27): 80 ARQC, 00 AAC'),
    data: {
      type: 'object',
      description: 'the data the cryptogram covers, tag → hex: 9F02, 9F03, 9F1A, 95, 5F2A, 9A, 9C, 9F37, 82, 9F36, 9F10',
      maxProperties: 32,
      propertyNames: { pattern: '^[0-9A-Fa-f]{2,4}$' },
      additionalProperties: hexSchema(0, 64, 'the element\'s value'),
    },
  },
  ['pan', 'psn', 'cryptogram', 'cid', 'data'],
);

export const AUTHORIZATION_RESPONSE: JsonSchema = objectSchema(
  {
    decision: { type: 'string', enum: ['approved', 'declined'] },
    reason: { type: 'string', enum: ['cryptogram-invalid', 'atc-replayed', 'card-unknown', 'card-blocked', 'offline-decline', 'data-invalid'] },
    responseCode: { type: 'string', description: 'authorisation response code (8A), 2 characters' },
    issuerAuthenticationData: hexSchema(8, 32, 'issuer authentication data (91): ARPC ‖ ARC or ARPC ‖ CSU'),
    scripts: { type: 'array', items: hexSchema(5, 261, 'an issuer script command APDU (CLA 84)') },
  },
  ['decision', 'responseCode', 'scripts'],
);

export const SCRIPT_BODY: JsonSchema = objectSchema(
  {
    kind: { type: 'string', enum: [...ISSUER_SCRIPT_KINDS] },
    pin: objectSchema(
      {
        key: keyRefSchema('the PIN key (usage P0) the block is encrypted under: key id or label'),
        format: { type: 'integer', enum: [0, 1, 3, 4], description: 'ISO 9564-1 PIN block format' },
        block: hexSchema(8, 16, 'the encrypted PIN block'),
      },
      ['key', 'format', 'block'],
      'pin-change only: the new PIN as an encrypted PIN block',
    ),
  },
  ['kind'],
);

export const CONFIRM_BODY: JsonSchema = objectSchema(
  { accepted: { type: 'integer', minimum: 0, maximum: 64, description: 'how many of the delivered scripts the card accepted, in order' } },
  ['accepted'],
);

export const CARD_STATE_RESPONSE: JsonSchema = objectSchema(
  {
    cardId: { type: 'string' },
    status: { type: 'string', enum: [...ISSUER_CARD_STATUSES] },
    lastAtc: { type: 'integer', description: '−1 before the first valid online cryptogram' },
    pendingScripts: { type: 'integer' },
  },
  ['cardId', 'status', 'lastAtc', 'pendingScripts'],
);

export const ISSUER_ERRORS = errorResponses(404, 409);

export const TEE_ENROLLMENT_BODY: JsonSchema = objectSchema(
  {
    teeId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'the TEE\'s id, as its factory gave it' },
    kbpkBlock: { type: 'string', minLength: 16, maxLength: 512, pattern: '^[0-9A-Z]+$', description: 'the TEE\'s KBPK as a TR-31 key block under the issuer\'s TEE key-injection KEK (docs/tee.md)' },
  },
  ['teeId', 'kbpkBlock'],
);

export const TEE_ENROLLMENT_RESPONSE: JsonSchema = objectSchema(
  {
    teeId: { type: 'string' },
    pinKey: { type: 'string', description: 'the PIN encryption key\'s id: name it as pin.key of a pin-change script' },
    keyBlock: { type: 'string', description: 'the PEK as a TR-31 block under the TEE\'s KBPK (first enrollment only)' },
    kcv: { type: 'string', description: 'the PEK\'s key check value' },
  },
  ['teeId', 'pinKey', 'kcv'],
);
