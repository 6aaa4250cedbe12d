/**
 * tsm/protection: field-level encryption of personal data at rest under per-record transient HSM
 * keys, keyed indexes for lookups, and the job engine's HSM-backed PayloadCipher (docs/protection.md).
 */
export { RecordProtection, RECORD_INDEX_LABEL, RECORD_SEAL_LABEL, MAX_INDEX_VALUE_BYTES } from './record-protection.ts';
export { HsmPayloadCipher, JOB_PAYLOAD_LABEL, type HsmPayloadCipherOptions } from './hsm-payload-cipher.ts';
export { SEALED_VERSION, MAX_FIELD_BYTES, MAX_AAD_BYTES } from './sealed-field.ts';
