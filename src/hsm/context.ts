/**
 * Who asks the HSM for what. Every operation takes an OperationContext: the tenant whose keys may
 * be used, and the actor recorded in the audit trail.
 */
export interface OperationContext {
  /** Tenant (SP, MNO or the operator) on whose behalf the operation runs; keys of another owner are refused. */
  readonly tenant: string;
  /** Who: an API client id, a custodian, `system` for background jobs. Recorded in audit events. */
  readonly actor: string;
  /** Correlation id of the request or job step, copied into audit events. */
  readonly requestId?: string;
}

/**
 * A key custodian's credential for one dual-control operation: a registered custodian name and
 * the passphrase typed at a no-echo prompt (never in argv or the environment). Verified against
 * the stored scrypt hash and forgotten.
 */
export interface CustodianCredential {
  readonly custodian: string;
  readonly passphrase: string;
}

/** One clear key component typed by a custodian, checked against the KCV the custodian read out. */
export interface KeyComponentInput {
  readonly credential: CustodianCredential;
  readonly component: Uint8Array;
  /** The component's KCV as printed on the custodian's form (hex). */
  readonly kcv: string;
}
