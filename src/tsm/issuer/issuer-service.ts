/**
 * The issuer host (docs/payment-application.md §5): card registration and online authorization —
 * verify the cryptogram in the HSM, refuse a replayed or older ATC, decide, and answer with the ARPC
 * and the card's pending issuer scripts. One instance serves one issuer tenant; the HSM enforces
 * that only its keys are used.
 */
import { randomUUID } from 'node:crypto';
import { CVN_PROFILES, type AuthorizationRequest, type AuthorizationResponse, type Authorizer, type CvnProfileId, type DeclineReason } from '../../emv/index.ts';
import type { ArpcInput, Hsm, OperationContext } from '../../hsm/index.ts';
import {
  StoreError,
  advanceIssuerCardAtc,
  findIssuerCard,
  getIssuerCard,
  insertIssuerCard,
  updateIssuerCard,
  type StoreDb,
  type StoredIssuerCard,
} from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import { assembleTransaction, assertAuthorizationRequest } from './authorization-input.ts';
import { assertIssuerScript, buildIssuerScript, decodePendingScripts, encodePendingScripts, type IssuerScriptRequest } from './issuer-scripts.ts';
import { assertPanPsn, panIndex } from './pan-index.ts';
import { enrollTee, type TeeEnrollment, type TeeEnrollmentRequest } from './tee-enrollment.ts';

/** A card the issuer knows: its profile and issuer master keys (HSM key ids). */
export interface IssuerCardRegistration {
  readonly pan: string;
  readonly psn: string;
  readonly profile: CvnProfileId;
  readonly imkAc: string;
  readonly imkSmi: string;
  readonly imkSmc: string;
}

export interface IssuerServiceOptions {
  readonly db: StoreDb;
  readonly hsm: Hsm;
  /** The issuer tenant and actor every HSM call and record runs as. */
  readonly ctx: OperationContext;
  /** HSM key id (usage M7, HMAC) of the PAN index. */
  readonly panIndexKey: string;
  readonly now?: () => Date;
  /** Label of the issuer's key-injection KEK for TEEs (K1); default `TEE KIF` (tee-enrollment.ts, docs/tee.md). */
  readonly teeKifLabel?: string;
}

/** Card statuses. `blocked`: declined online, scripts still delivered; `terminated`: unknown from now on. */
export const ISSUER_CARD_STATUSES = ['active', 'blocked', 'terminated'] as const;
export type IssuerCardStatus = (typeof ISSUER_CARD_STATUSES)[number];

/** ARC (8A) approve / decline, ASCII '00' / '05' (EMV Book 3 Annex A; ISO 8583 response codes) [M]. */
const ARC = { approve: Uint8Array.of(0x30, 0x30), decline: Uint8Array.of(0x30, 0x35) } as const;
/** Visa CSU: byte 2 b8 = issuer approves [M, VIS 1.5]. */
const CSU = { approve: Uint8Array.of(0x00, 0x80, 0x00, 0x00), decline: new Uint8Array(4) } as const;
/** CID (9F27) b8–b7: 10 = ARQC, 00 = AAC (EMV Book 3 §C6.5.5.4 [M]). */
const CID_TYPE_MASK = 0xc0;
const CID_ARQC = 0x80;
const CID_AAC = 0x00;

function isProfile(value: unknown): value is CvnProfileId {
  return typeof value === 'string' && Object.hasOwn(CVN_PROFILES, value);
}

export class IssuerService implements Authorizer {
  readonly #o: IssuerServiceOptions;

  constructor(options: IssuerServiceOptions) {
    this.#o = options;
  }

  #now(): string {
    return (this.#o.now?.() ?? new Date()).toISOString();
  }

  /**
   * Registers a card; returns its id. ERR_TSM_CONFLICT if the owner already has this PAN/PSN —
   * unless `options.id` is given and is the id it was registered under: a deploy job registering
   * its card again after a crash gets the same id back (idempotent by the caller's id).
   */
  async registerCard(card: IssuerCardRegistration, options: { readonly id?: string } = {}): Promise<string> {
    assertPanPsn(card?.pan, card.psn);
    if (!isProfile(card.profile)) throw new TsmError('ERR_TSM_REQUEST', `profile: one of ${Object.keys(CVN_PROFILES).join(', ')}`);
    for (const k of ['imkAc', 'imkSmi', 'imkSmc'] as const) {
      if (typeof card[k] !== 'string' || card[k].length === 0) throw new TsmError('ERR_TSM_REQUEST', `${k}: expected an HSM key id`);
    }
    if (options.id !== undefined && (typeof options.id !== 'string' || !/^card_[\x21-\x7e]{1,120}$/.test(options.id))) throw new TsmError('ERR_TSM_REQUEST', 'card id: card_ and 1 to 120 printable characters');
    const id = options.id ?? `card_${randomUUID()}`;
    const at = this.#now();
    const index = await panIndex(this.#o.hsm, this.#o.panIndexKey, card.pan, card.psn, this.#o.ctx);
    try {
      await insertIssuerCard(this.#o.db, {
        id, owner: this.#o.ctx.tenant, panIndex: index,
        profile: card.profile, imkAc: card.imkAc, imkSmi: card.imkSmi, imkSmc: card.imkSmc,
        status: 'active', lastAtc: -1, pendingScripts: '[]', createdAt: at, updatedAt: at,
      });
    } catch (e) {
      if (e instanceof StoreError && e.code === 'ERR_STORE_CONFLICT') {
        const existing = options.id === undefined ? undefined : await findIssuerCard(this.#o.db, this.#o.ctx.tenant, index);
        if (existing !== undefined && existing.id === id && existing.status !== 'terminated') return id;
        throw new TsmError('ERR_TSM_CONFLICT', 'this PAN and PSN are already registered', { cause: e });
      }
      throw e;
    }
    return id;
  }

  async #card(id: string): Promise<StoredIssuerCard> {
    const card = await getIssuerCard(this.#o.db, this.#o.ctx.tenant, id);
    if (card === undefined || card.status === 'terminated') throw new TsmError('ERR_TSM_NOT_FOUND', `no card ${typeof id === 'string' ? id.slice(0, 64) : ''}`);
    return card;
  }

  /** Queues an issuer script for the card's next online transaction. */
  async queueScript(cardId: string, script: IssuerScriptRequest): Promise<void> {
    const checked = assertIssuerScript(script);
    const card = await this.#card(cardId);
    const pending = [...decodePendingScripts(card.pendingScripts), checked];
    const status = checked.kind === 'application-block' ? 'blocked' : checked.kind === 'application-unblock' ? 'active' : card.status;
    await updateIssuerCard(this.#o.db, card.id, { status, pendingScripts: encodePendingScripts(pending), updatedAt: this.#now() });
  }

  /** The wallet reports how many of the delivered scripts the card accepted, in order: those leave the queue. */
  async confirmScripts(cardId: string, accepted: number): Promise<void> {
    const card = await this.#card(cardId);
    const pending = decodePendingScripts(card.pendingScripts);
    if (!Number.isInteger(accepted) || accepted < 0 || accepted > pending.length) throw new TsmError('ERR_TSM_REQUEST', `accepted: 0..${pending.length}`);
    await updateIssuerCard(this.#o.db, card.id, { pendingScripts: encodePendingScripts(pending.slice(accepted)), updatedAt: this.#now() });
  }

  /** The card's status and last ATC (no card data). */
  async cardState(cardId: string): Promise<{ readonly status: IssuerCardStatus; readonly lastAtc: number; readonly pendingScripts: number }> {
    const card = await this.#card(cardId);
    return { status: card.status as IssuerCardStatus, lastAtc: card.lastAtc, pendingScripts: decodePendingScripts(card.pendingScripts).length };
  }

  /**
   * Ends the card: it is unknown to authorization from now on, and its keyed PAN index is erased
   * (replaced by a marker of the card id), so nothing stored links the record to the PAN any more
   * and the same PAN/PSN may be registered again (a card deployed anew after a terminate).
   */
  async terminateCard(cardId: string): Promise<void> {
    const card = await this.#card(cardId);
    await updateIssuerCard(this.#o.db, card.id, { status: 'terminated', pendingScripts: '[]', panIndex: `erased:${card.id}`, updatedAt: this.#now() });
  }

  /** Gives a phone's TEE its PIN encryption key under the TEE's KBPK (tee-enrollment.ts); idempotent per TEE id. */
  enrollTee(request: TeeEnrollmentRequest): Promise<TeeEnrollment> {
    return enrollTee(this.#o.hsm, this.#o.ctx, request, this.#o.teeKifLabel === undefined ? {} : { kifLabel: this.#o.teeKifLabel });
  }

  /** Online authorization (docs/payment-application.md §5). Malformed requests: ERR_TSM_REQUEST. */
  async authorize(request: AuthorizationRequest): Promise<AuthorizationResponse> {
    assertAuthorizationRequest(request);
    const { db, hsm, ctx } = this.#o;
    const card = await findIssuerCard(db, ctx.tenant, await panIndex(hsm, this.#o.panIndexKey, request.pan, request.psn, ctx));
    if (card === undefined || card.status === 'terminated' || !isProfile(card.profile)) return declined('card-unknown');
    const profile = CVN_PROFILES[card.profile];
    const txn = assembleTransaction(card.profile, request);
    const type = request.cid & CID_TYPE_MASK;
    if (txn === undefined || (type !== CID_ARQC && type !== CID_AAC)) return declined('data-invalid');
    const approve = type === CID_ARQC && card.status === 'active';
    const arpc: ArpcInput = profile.arpc.method === 1
      ? { method: 1, arc: approve ? ARC.approve : ARC.decline }
      : { method: 2, csu: approve ? CSU.approve : CSU.decline };
    const base = { profile: card.profile, pan: request.pan, psn: request.psn, atc: txn.atc, ...(txn.unpredictableNumber === undefined ? {} : { unpredictableNumber: txn.unpredictableNumber }) };
    const verified = await hsm.verifyArqc({ ...base, imk: card.imkAc, data: txn.acData, arqc: request.cryptogram }, arpc, ctx);
    if (!verified.valid || verified.arpc === undefined) return declined('cryptogram-invalid');
    const atc = (txn.atc[0]! << 8) | txn.atc[1]!;
    if (!(await advanceIssuerCardAtc(db, card.id, atc, this.#now()))) return declined('atc-replayed');
    const issuerAuthenticationData = new Uint8Array([...verified.arpc, ...(arpc.method === 1 ? arpc.arc : arpc.csu)]);
    const keys = { ...base, arqc: request.cryptogram, imkAc: card.imkAc, imkSmi: card.imkSmi, imkSmc: card.imkSmc };
    const scripts: Uint8Array[] = [];
    for (const script of decodePendingScripts(card.pendingScripts)) scripts.push(await buildIssuerScript(hsm, script, keys, ctx));
    const reason: DeclineReason | undefined = approve ? undefined : type === CID_AAC ? 'offline-decline' : 'card-blocked';
    return Object.freeze({
      decision: approve ? 'approved' : 'declined',
      ...(reason === undefined ? {} : { reason }),
      responseCode: approve ? '00' : '05',
      issuerAuthenticationData,
      scripts: Object.freeze(scripts),
    });
  }
}

function declined(reason: DeclineReason): AuthorizationResponse {
  return Object.freeze({ decision: 'declined', reason, responseCode: reason === 'card-unknown' ? '14' : '05', scripts: Object.freeze([]) });
}
