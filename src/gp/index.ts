/**
 * gp/: GlobalPlatform host and card protocol (GPC Card Specification v2.3.1, Amendment D v1.1.1):
 * secure channels (scp/) and card content management commands (cm/).
 */
export { GpError, GP_ERROR_CODES, type GpErrorCode } from './errors.ts';
export * from './scp/index.ts';
export * from './cm/index.ts';
