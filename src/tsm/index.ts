/**
 * tsm/: the service (ARCHITECTURE.md §2). Today: issuer authorization, personalization data
 * preparation, the HTTP service (issuer routes), durable jobs and the chained audit log; the SP and
 * MNO APIs and the provisioning jobs built on them come next. Never imports se/ or device/: tests,
 * cli/ and the fleet wire cards and terminals to it.
 */
export { TsmError, TSM_ERROR_CODES, type TsmErrorCode } from './errors.ts';
export {
  IssuerService,
  ISSUER_CARD_STATUSES,
  type IssuerCardStatus,
  type IssuerCardRegistration,
  type IssuerServiceOptions,
} from './issuer/issuer-service.ts';
export { buildIssuerScript, ISSUER_SCRIPT_KINDS, SCRIPT_MAC_LENGTH, type IssuerScriptRequest, type ScriptTransactionKeys } from './issuer/issuer-scripts.ts';
export { panIndex } from './issuer/pan-index.ts';
export { enrollTee, teePekLabel, TEE_KIF_LABEL, TEE_ID, type TeeEnrollment, type TeeEnrollmentRequest } from './issuer/tee-enrollment.ts';
export { preparePersonalization, type PreparedDgi, type PreparedPersonalization } from './personalization/prepare.ts';
export { assertPaymentCardRecord, type PaymentCardRecord, type IssuerPersonalizationKeys } from './personalization/card-record.ts';
export { createPaymentIssuer, type PaymentIssuerSetup } from './personalization/issuer-setup.ts';
export { PAYMENT_AIP, PAYMENT_AFL, PAYMENT_PDOL, PAYMENT_CDOL1, staticDataToAuthenticate, ppseEntryDgi } from './personalization/records.ts';
export { buildApp, registeredRoutes, API_VERSION, type AppDeps, type TsmApp } from './http/app.ts';
export { addApiClient, authenticate, API_ROLES, type ApiRole, type Principal } from './http/api-clients.ts';
export { parseAuthorization, credentialKey, OPERATOR_TENANT, CREDENTIAL_KEY_LABEL } from './http/credentials.ts';
export { ERROR_REGISTRY, FRAMEWORK_ERRORS, PUBLIC_CODES, mapError, type HttpErrorMapping, type PublicErrorCode } from './http/error-registry.ts';
export { createLogger, loggerOptions, REDACT_PATHS, LOG_LEVELS, type LogLevel } from './http/logger.ts';
export { PAN_INDEX_LABEL, PanIndexKeys, TenantMacKeys } from './http/tenant-keys.ts';
export { resolveConfig, isLoopback, envLayer, fileLayer, readTls, CONFIG_ENV, DEFAULT_CONFIG, type ServiceConfig, type HsmConfig, type ConfigLayer } from './config/index.ts';
export { HttpAuthorizer, type HttpAuthorizerOptions } from './http/authorizer-client.ts';
export * from './audit/index.ts';
export * from './jobs/index.ts';
export * from './protection/index.ts';
export * from './relay/index.ts';
export * from './webhooks/index.ts';
export * from './registry/index.ts';
export * from './catalog/index.ts';
export * from './provisioning/card/index.ts';
export * from './provisioning/index.ts';
export { TsmService, type TsmServiceOptions } from './service.ts';
export { OtaBearers, type TsmOtaOptions, type OtaBearerParts } from './ota-bearers.ts';
export { BearerRouter, bearerOf, checkBearerPolicy, DEFAULT_BEARER_POLICY, BEARER_NAMES, type BearerName, type BearerPolicy, type BearerRouterOptions } from './bearer-router.ts';
export * from './client/index.ts';
export * from './ota/index.ts';
