/**
 * Field encryption for job payloads that may hold personal data (PAN, personalization data):
 * ARCHITECTURE.md §2, "PANs and personalization data only encrypted at field level". The HSM-backed
 * implementation comes with the service; the engine refuses sensitive payloads when none is given.
 */

/**
 * Seals and opens payload bytes under a tenant's data key, and computes a keyed digest of them (so
 * that an idempotency check never hashes a PAN bare: a plain hash of a PAN is a dictionary away).
 */
export interface PayloadCipher {
  /** Encrypts and authenticates `data` for `tenant`; the result is all the store keeps. */
  seal(data: Uint8Array, tenant: string): Promise<Uint8Array>;
  /** Opens what `seal` returned for the same tenant; throws when it was altered or is another tenant's. */
  open(sealed: Uint8Array, tenant: string): Promise<Uint8Array>;
  /** A keyed digest (an HMAC under a tenant key): equal inputs give equal digests, nothing else is learnt. */
  digest(data: Uint8Array, tenant: string): Promise<Uint8Array>;
  /**
   * Optional: called once the engine has erased a sealed payload from the store (the job ended), so
   * the cipher can make it unrecoverable everywhere — the HSM cipher destroys the payload's key.
   */
  discard?(sealed: Uint8Array, tenant: string): Promise<void>;
}
