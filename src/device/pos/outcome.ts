/**
 * What a tap ends in (EMV Book A §6 outcomes, reduced to an online-only terminal): approved or
 * declined by the issuer, declined offline by the terminal or the card, or an error. Outcomes carry
 * the AID, the TVR and what the issuer answered for the wallet's issuer update — never the PAN.
 */
import type { AuthorizationResponse, DeclineReason } from '../../emv/index.ts';
import type { DeviceError } from '../errors.ts';
import type { OdaResult } from './oda/fdda.ts';

/** The card's cryptogram as the outcome reports it (not secret once sent online). */
export interface CryptogramSummary {
  /** Cryptogram Information Data (9F27). */
  readonly cid: number;
  /** Application Transaction Counter (9F36), as a number. */
  readonly atc: number;
  /** Which command produced it: GPO (flow `gpo`) or GENERATE AC (flow `generate-ac`). */
  readonly source: 'gpo' | 'generate-ac';
}

/** Shared by the outcomes of a transaction that reached the card's application. */
export interface TransactionFacts {
  /** The selected application's DF name (84). */
  readonly aid: Uint8Array;
  /** Terminal Verification Results at the end (Book 3 Annex C5). */
  readonly tvr: Uint8Array;
  readonly oda: OdaResult;
  readonly cryptogram: CryptogramSummary;
}

/** The issuer approved (response code in `authorization.responseCode`). */
export interface ApprovedOutcome extends TransactionFacts {
  readonly kind: 'approved';
  /** The issuer's answer: ARPC data (91) and scripts for the wallet's issuer update. */
  readonly authorization: AuthorizationResponse;
}

/** The issuer declined. */
export interface DeclinedOutcome extends TransactionFacts {
  readonly kind: 'declined';
  readonly reason: DeclineReason | undefined;
  readonly authorization: AuthorizationResponse;
}

/** Declined without going online: the terminal's action codes (failed ODA) or the card (AAC). */
export interface DeclinedOfflineOutcome extends TransactionFacts {
  readonly kind: 'declined-offline';
  readonly reason: 'oda-failed' | 'card-declined';
}

/** The transaction could not complete: card, transport or authorizer failure. */
export interface ErrorOutcome {
  readonly kind: 'error';
  readonly error: DeviceError;
  /** The selected AID, when selection got that far. */
  readonly aid: Uint8Array | undefined;
  readonly tvr: Uint8Array;
}

/** The result of one tap. */
export type TerminalOutcome = ApprovedOutcome | DeclinedOutcome | DeclinedOfflineOutcome | ErrorOutcome;
