/**
 * One SE's open SCP81 administration session, seen from the TSM (docs/scp81.md, "The TSM side"):
 * the agent's POSTs are long-polled — each is held until the job engine transmits a C-APDU, which
 * goes out as a one-command expanded remote APDU script (ETSI TS 102 226 §5.2), and the report the
 * agent POSTs back resolves that transmit with the R-APDU. Transmits are serialized; a held POST
 * that gets no work for `idleMs` is answered 204, which ends the session (GPC Amd B).
 *
 * Never twice: a script the agent has reported is never sent again. A resumed POST (X-Admin-Resume)
 * at the URI before an outstanding script proves the agent never received it, so that script goes
 * out again; a resumed POST carrying the outstanding script's report settles it. When the report
 * does not come within `answerTimeoutMs`, the session ends and the transmit fails with
 * ERR_TSM_UNREACHABLE — the command may or may not have run, and it is not sent again.
 *
 * Targeting (GPC Amd B X-Admin-Targeted-Application): scripts reach Security Domains, not ISO
 * channels. A SELECT by name on the basic channel goes out as a script targeted at that AID; when
 * the card answers 9000 the following scripts carry the same target, so job code written for a
 * card reader (SELECT the SD, then its secure channel) runs unchanged. A target the agent cannot
 * reach (unknown application, not a Security Domain) answers that SELECT 6A82 and the session goes
 * on with the previous target. MANAGE CHANNEL and commands on other logical channels answer 6881
 * (logical channel not supported, ISO/IEC 7816-4 §5.1.3) without reaching the card.
 */
import { wipe } from '../../bytes/index.ts';
import { adminAnswer, encodeCommandScript, parseResponseScript, type AdminAnswer, type AgentPost, type ScriptReport } from '../../ota/index.ts';
import { TsmError } from '../errors.ts';

/** The 204 without Next-URI that ends a session. */
export const END_SESSION: AdminAnswer = adminAnswer({ script: undefined, nextUri: undefined, targetedApplication: undefined });

/** Timing of a session. */
export interface Scp81SessionTiming {
  /** A held POST with no transmit for this long is answered 204 (session ends). */
  readonly idleMs: number;
  /** A script sent out and not reported for this long ends the session (ERR_TSM_UNREACHABLE). */
  readonly answerTimeoutMs: number;
  /** After the agent's connection closed, how long it has to come back (resume) before the session ends. */
  readonly resumeGraceMs?: number;
}

interface Pending {
  readonly apdu: Uint8Array;
  /** The AID a SELECT by name targets. */
  readonly select: Uint8Array | undefined;
  readonly resolve: (response: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

interface Outstanding {
  readonly index: number;
  readonly pending: Pending;
  readonly answer: AdminAnswer;
}

/** Why a session ended. */
export type Scp81EndReason = 'idle' | 'closed' | 'dropped' | 'replaced' | 'answer-timeout' | 'script-failed' | 'protocol';

/** One open session (mutable session object: CONVENTIONS.md §11). */
export class Scp81Session {
  readonly #queue: Pending[] = [];
  #outstanding: Outstanding | undefined;
  /** X-Admin-Targeted-Application of the following scripts; undefined: the agent's own SD. */
  #target: Uint8Array | undefined;
  #held: ((answer: AdminAnswer) => void) | undefined;
  #next = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #answerTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #ended: Scp81EndReason | undefined;

  constructor(
    readonly seId: string,
    readonly identity: string,
    /** Path prefix of this session's Next-URIs (unguessable). */
    readonly base: string,
    private readonly timing: Scp81SessionTiming,
    private readonly onEnd: (session: Scp81Session, reason: Scp81EndReason) => void,
  ) {}

  /** Why the session ended, or undefined while it is open. */
  get ended(): Scp81EndReason | undefined {
    return this.#ended;
  }

  /** Whether `uri` is one of this session's Next-URIs. */
  owns(uri: string): boolean {
    return uri === this.base || uri.startsWith(`${this.base}/`);
  }

  /** Queues one C-APDU; resolves with its R-APDU (data SW1 SW2). */
  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.#ended !== undefined) return Promise.reject(unreachable(this.seId, `session ended (${this.#ended})`));
    if (apdu[1] === INS_MANAGE_CHANNEL || logicalChannel(apdu[0]!) !== 0) return Promise.resolve(Uint8Array.of(0x68, 0x81));
    return new Promise((resolve, reject) => {
      this.#queue.push({ apdu: apdu.slice(), select: selectedAid(apdu), resolve, reject });
      this.#pump();
    });
  }

  /** The answer to one POST of the agent (held until there is work or the idle timeout). */
  answer(post: AgentPost): Promise<AdminAnswer> {
    if (this.#ended !== undefined) return Promise.resolve(END_SESSION);
    clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    // A newer POST means the connection of a held one is gone: that one gets nothing more.
    this.#release(END_SESSION);
    if (post.report !== undefined && !this.#takeReport(post)) return Promise.resolve(END_SESSION);
    if (this.#outstanding !== undefined) {
      // GPC Amd B resume: the agent re-navigated the URI before the outstanding script, so it never got it.
      if (post.resume) return Promise.resolve(this.#outstanding.answer);
      this.end('protocol');
      return Promise.resolve(END_SESSION);
    }
    return new Promise((resolve) => {
      this.#held = resolve;
      this.#pump();
    });
  }

  /**
   * The agent's connection closed (the admin server's onDisconnect). Its POST, if one was held, can
   * no longer be answered; the agent may come back with a resume (GPC Amd B) within
   * `resumeGraceMs` — otherwise the session ends 'dropped' at once instead of at the answer timeout.
   */
  disconnected(): void {
    if (this.#ended !== undefined || this.#graceTimer !== undefined) return;
    if (this.#held === undefined && this.#outstanding === undefined) return; // between POSTs: nothing waits on that connection
    this.#held = undefined;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#graceTimer = setTimeout(() => this.end('dropped'), this.timing.resumeGraceMs ?? 5_000);
  }

  /** Ends the session: pending transmits fail with ERR_TSM_UNREACHABLE, a held POST gets 204. */
  end(reason: Scp81EndReason): void {
    if (this.#ended !== undefined) return;
    this.#ended = reason;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#answerTimer);
    clearTimeout(this.#graceTimer);
    const error = unreachable(this.seId, `session ended (${reason})`);
    const pending = [...(this.#outstanding === undefined ? [] : [this.#outstanding.pending]), ...this.#queue.splice(0)];
    this.#outstanding = undefined;
    for (const p of pending) {
      wipe(p.apdu);
      p.reject(error);
    }
    this.#release(END_SESSION);
    this.onEnd(this, reason);
  }

  /** Records a report; false when the session had to end over it. */
  #takeReport(post: AgentPost): boolean {
    const index = this.#indexOf(post.uri);
    const out = this.#outstanding;
    if (out !== undefined && index === out.index) {
      this.#outstanding = undefined;
      clearTimeout(this.#answerTimer);
      return this.#settle(out.pending, post.report!);
    }
    // A resumed POST repeating a report already taken: the first one stands.
    if (post.resume && index >= 0 && index < this.#next && (out === undefined || index < out.index)) return true;
    this.end('protocol');
    return false;
  }

  #settle(pending: Pending, report: ScriptReport): boolean {
    wipe(pending.apdu);
    if (pending.select !== undefined && (report.status === 'unknown-application' || report.status === 'not-a-security-domain')) {
      pending.resolve(Uint8Array.of(0x6a, 0x82)); // not reachable over SCP81: as a card answers an absent AID
      return true;
    }
    let response: Uint8Array | undefined;
    if (report.status === 'ok') {
      try {
        const parsed = parseResponseScript(report.body);
        if (parsed.executed === 1 && parsed.responses.length === 1 && parsed.badFormat === undefined) response = parsed.responses[0]!.slice();
      } catch {
        response = undefined;
      }
    }
    if (response !== undefined) {
      const sw = response.length >= 2 ? (response[response.length - 2]! << 8) | response[response.length - 1]! : 0;
      if (pending.select !== undefined && sw === 0x9000) this.#target = pending.select;
      pending.resolve(response);
      return true;
    }
    pending.reject(new TsmError('ERR_TSM_STATE', `scp81: SE ${this.seId}: the agent did not run the command (script status ${report.status})`));
    this.end('script-failed');
    return false;
  }

  #indexOf(uri: string): number {
    const m = uri.startsWith(`${this.base}/`) ? /^(0|[1-9][0-9]{0,5})$/.exec(uri.slice(this.base.length + 1)) : null;
    return m === null ? -1 : Number(m[1]);
  }

  /** Sends the next queued command to a held POST, or starts the idle clock. */
  #pump(): void {
    if (this.#ended !== undefined || this.#held === undefined || this.#outstanding !== undefined) return;
    const pending = this.#queue.shift();
    if (pending === undefined) {
      this.#idleTimer ??= setTimeout(() => this.end('idle'), this.timing.idleMs);
      return;
    }
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const index = this.#next++;
    // ETSI TS 102 226 §5.2.1: one C-APDU TLV in a definite-length Command Scripting Template.
    const script = encodeCommandScript([{ kind: 'c-apdu', apdu: pending.apdu }], { length: 'definite' });
    const answer = adminAnswer({ script, nextUri: `${this.base}/${index}`, targetedApplication: pending.select ?? this.#target });
    this.#outstanding = { index, pending, answer };
    this.#answerTimer = setTimeout(() => this.end('answer-timeout'), this.timing.answerTimeoutMs);
    this.#release(answer);
  }

  #release(answer: AdminAnswer): void {
    const held = this.#held;
    this.#held = undefined;
    held?.(answer);
  }
}

const INS_MANAGE_CHANNEL = 0x70;

/** ISO/IEC 7816-4 §5.4.1: the logical channel a class byte names (first and further interindustry codings). */
function logicalChannel(cla: number): number {
  return (cla & 0x40) === 0 ? cla & 0x03 : 4 + (cla & 0x0f);
}

/** The AID of a SELECT by DF name, first or only occurrence (P1 04, P2 00), 5–16 bytes; else undefined. */
function selectedAid(apdu: Uint8Array): Uint8Array | undefined {
  if (apdu.length < 10 || apdu[1] !== 0xa4 || apdu[2] !== 0x04 || apdu[3] !== 0x00) return undefined;
  const lc = apdu[4]!;
  if (lc < 5 || lc > 16 || apdu.length < 5 + lc || apdu.length > 6 + lc) return undefined;
  return apdu.slice(5, 5 + lc);
}

function unreachable(seId: string, reason: string): TsmError {
  return new TsmError('ERR_TSM_UNREACHABLE', `scp81: SE ${seId}: ${reason}`);
}
