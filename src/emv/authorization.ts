/**
 * The online authorization exchange between a terminal and the issuer (docs/payment-application.md
 * §5), as plain data: the terminal (device/) sends the cryptogram and the data it covers; the issuer
 * (tsm/) answers with a decision, the ARPC for the card and any issuer scripts. Both sides see only
 * these types, so neither imports the other.
 */

/** What the terminal sends for an online authorization (ISO 8583 field 55 content, as tag → value). */
export interface AuthorizationRequest {
  /** Application PAN (5A), digits. */
  readonly pan: string;
  /** PAN sequence number (5F34), two digits. */
  readonly psn: string;
  /** The application cryptogram (9F26), 8 bytes. */
  readonly cryptogram: Uint8Array;
  /** Cryptogram information data (9F27): 80 ARQC, 00 AAC. */
  readonly cid: number;
  /**
   * The data the cryptogram covers, keyed by upper-case hex tag: 9F02, 9F03, 9F1A, 95, 5F2A, 9A, 9C,
   * 9F37 (terminal), 82, 9F36, 9F10 (card).
   */
  readonly data: Readonly<Record<string, Uint8Array>>;
}

/** Why an authorization was declined (stable codes; never card data). */
export type DeclineReason =
  | 'cryptogram-invalid'
  | 'atc-replayed'
  | 'card-unknown'
  | 'card-blocked'
  | 'offline-decline'
  | 'data-invalid';

/** The issuer's answer. */
export interface AuthorizationResponse {
  readonly decision: 'approved' | 'declined';
  /** Set when declined. */
  readonly reason?: DeclineReason;
  /** Authorisation response code (8A), 2 ASCII characters: '00' approved, '05' do not honour. */
  readonly responseCode: string;
  /**
   * Issuer authentication data (91) for EXTERNAL AUTHENTICATE: ARPC ‖ ARC (method 1) or
   * ARPC ‖ CSU [‖ proprietary data] (method 2); absent when the cryptogram could not be verified.
   */
  readonly issuerAuthenticationData?: Uint8Array;
  /** Issuer script commands (complete APDUs, CLA 84), in order, to run after EXTERNAL AUTHENTICATE. */
  readonly scripts: readonly Uint8Array[];
}

/** Anything that authorizes: the TSM's issuer service in process, or a client of its HTTP route. */
export interface Authorizer {
  authorize(request: AuthorizationRequest): Promise<AuthorizationResponse>;
}
