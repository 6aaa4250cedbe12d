/**
 * JSON Schemas of the SP's service-instance routes and the job resource (docs/service.md "SP API";
 * GPS_SPE_002 GlobalServiceManagement). The card data of a deploy is validated here and then only
 * sealed into the job (docs/jobs.md): never echoed, never logged.
 */
import { CVN_PROFILES } from '../../emv/index.ts';
import { JOB_STATES, STEP_STATUSES } from '../jobs/index.ts';
import { errorResponses, hexSchema, ID_SCHEMA, keyRefSchema, objectSchema, type JsonSchema } from './schemas.ts';

/** `Idempotency-Key` (GP FunctionCallIdentifier): required on every call that starts a job. */
export const IDEMPOTENCY_HEADERS: JsonSchema = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7E]+$',
      description: 'the request\'s identity (GP FunctionCallIdentifier): the same key returns the first result and never runs twice',
    },
  },
  required: ['idempotency-key'],
};

const VALIDITY = { type: 'integer', minimum: 1, maximum: 7 * 24 * 3600, description: 'GP ValidityPeriod, seconds: a request not started in time ends EXPIRED, unexecuted' } as const;

export const SERVICE_PARAMS: JsonSchema = objectSchema({ serviceId: ID_SCHEMA }, ['serviceId']);
export const INSTANCE_PARAMS: JsonSchema = objectSchema({ instanceId: ID_SCHEMA }, ['instanceId']);
export const JOB_PARAMS: JsonSchema = objectSchema({ jobId: { type: 'string', pattern: '^[0-9a-f-]{36}$' } }, ['jobId']);

const CARD: JsonSchema = objectSchema(
  {
    pan: { type: 'string', pattern: '^[0-9]{12,19}$', description: 'PAN (5A): sealed in the job, kept by the issuer only as a keyed hash' },
    psn: { type: 'string', pattern: '^[0-9]{2}$', description: 'PAN sequence number (5F34)' },
    expiry: { type: 'string', pattern: '^[0-9]{6}$', description: 'application expiration date (5F24), YYMMDD' },
    profile: { type: 'string', enum: Object.keys(CVN_PROFILES), description: 'CVN profile (docs/payment-application.md §2)' },
    flow: { type: 'string', enum: ['gpo', 'generate-ac'], description: 'where the ARQC is produced' },
    issuerCountry: { type: 'string', pattern: '^[0-9]{3}$', description: 'issuer country code (5F28), ISO 3166 numeric' },
    label: { type: 'string', pattern: '^[\\x20-\\x7E]{1,16}$', description: 'application label (50)' },
    priority: { type: 'integer', minimum: 1, maximum: 15, description: 'application priority indicator (87)' },
    keyDerivationIndex: { type: 'integer', minimum: 0, maximum: 255 },
    pin: objectSchema(
      {
        key: keyRefSchema('the SP\'s PIN key (usage P0) the block is under: key id or label'),
        format: { type: 'integer', enum: [0, 1, 3, 4] },
        block: hexSchema(8, 16, 'the encrypted PIN block'),
        tryLimit: { type: 'integer', minimum: 1, maximum: 15 },
      },
      ['key', 'format', 'block', 'tryLimit'],
      'optional offline PIN (DGI 8010), re-encrypted in the HSM for the card',
    ),
  },
  ['pan', 'psn', 'expiry', 'profile', 'flow', 'issuerCountry', 'label', 'priority', 'keyDerivationIndex'],
  'the payment card to personalize (docs/payment-application.md §4.1)',
);

export const DEPLOY_BODY: JsonSchema = objectSchema(
  {
    seId: { type: 'string', pattern: '^[\\x21-\\x7E]{1,64}$', description: 'the target SE (or give subscriptionId)' },
    subscriptionId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'the MNO\'s subscription alias: the TSM resolves its SE' },
    card: CARD,
    validitySeconds: VALIDITY,
  },
  ['card'],
);

export const UPDATE_BODY: JsonSchema = objectSchema({ card: CARD, validitySeconds: VALIDITY }, ['card']);

export const LIFECYCLE_BODY: JsonSchema = objectSchema({ validitySeconds: VALIDITY }, []);

const JOB: JsonSchema = objectSchema(
  {
    jobId: { type: 'string' },
    kind: { type: 'string' },
    state: { type: 'string', enum: [...JOB_STATES] },
    step: objectSchema({ index: { type: 'integer' }, name: { type: ['string', 'null'] }, status: { type: 'string', enum: [...STEP_STATUSES] } }, ['index', 'name', 'status']),
    attempt: { type: 'integer' },
    executionStatus: objectSchema(
      {
        status: { type: 'string', enum: ['EXECUTED_SUCCESS', 'FAILED', 'EXPIRED'] },
        subject: { type: 'string' }, reason: { type: 'string' }, sw: { type: 'string' }, message: { type: 'string' },
      },
      ['status'],
      'GPS_SPE_002 ExecutionStatus once the job has ended',
    ),
    error: objectSchema({ step: { type: 'string' }, code: { type: 'string' }, sw: { type: 'string' }, message: { type: 'string' } }, ['step', 'code', 'message']),
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    endedAt: { type: ['string', 'null'] },
  },
  ['jobId', 'kind', 'state', 'step', 'attempt', 'createdAt', 'updatedAt'],
);

export const JOB_RESPONSE: JsonSchema = JOB;

export const INSTANCE: JsonSchema = objectSchema(
  {
    instanceId: { type: 'string' },
    serviceId: { type: 'string' },
    seId: { type: 'string' },
    aid: { type: 'string' },
    state: { type: 'string', enum: ['deploying', 'active', 'suspended', 'failed', 'terminating', 'terminated'] },
    cardId: { type: 'string' },
    jobId: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
  ['instanceId', 'serviceId', 'seId', 'aid', 'state', 'createdAt', 'updatedAt'],
);

export const OPERATION_RESPONSE: JsonSchema = objectSchema({ instance: INSTANCE, job: JOB }, ['instance', 'job']);

export const INSTANCE_ERRORS = errorResponses(404, 409);
