/**
 * Reaching a job's SE from a step (docs/provisioning.md §"Bearers"): the bearer's transport when the
 * SE is reachable, else the step waits on the SE's reachability token; a bearer that goes away in
 * the middle of a step (ERR_TSM_UNREACHABLE) makes the step wait too — it runs again, checking the
 * card first, when the phone is back. Secure channel sessions are kept per job, one at a time (a
 * SELECT of another Security Domain ends the previous session on the card, GPC 2.3.1 §10.2).
 */
import type { ApduTransport } from '../../apdu/index.ts';
import type { SecureChannelSession } from '../../gp/index.ts';
import { TsmError } from '../errors.ts';
import type { StepContext, StepOutcome } from '../jobs/index.ts';
import { reachableToken, type CardBearer } from '../model.ts';

interface JobLink {
  readonly transport: ApduTransport;
  current?: { readonly sdAid: string; readonly session: SecureChannelSession };
}

/** Whether `error` (or an error it wraps: the APDU layer wraps transport failures) says the bearer went away. */
export function isUnreachable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof TsmError && e.code === 'ERR_TSM_UNREACHABLE') return true;
  }
  return false;
}

/** The card link of each running job, opened on first use and dropped when the job ends or the bearer fails. */
export class CardLinks {
  readonly #bearer: CardBearer;
  readonly #links = new Map<string, JobLink>();

  constructor(bearer: CardBearer) {
    this.#bearer = bearer;
  }

  /**
   * Runs `work` with the job's transport and a session cache; answers `{ wait }` when the SE is not
   * reachable or its bearer goes away during the work. Other errors propagate (the engine records
   * their code and status word) after the link is dropped.
   */
  async run(ctx: StepContext, work: (card: CardLink) => Promise<StepOutcome>): Promise<StepOutcome> {
    const { id, seId } = ctx.job;
    let link = this.#links.get(id);
    if (link === undefined) {
      const transport = this.#bearer.connect(seId);
      if (transport === undefined) return { wait: reachableToken(seId, id) };
      link = { transport };
      this.#links.set(id, link);
    }
    try {
      return await work(new CardLink(link));
    } catch (error) {
      this.drop(id);
      if (isUnreachable(error)) return { wait: reachableToken(seId, id) };
      throw error;
    }
  }

  /**
   * Runs a read-only `work` (a step's verify) on the job's card; undefined when the SE is not
   * reachable or its bearer went away (the caller then treats the step as not done).
   */
  async probe<T>(ctx: StepContext, work: (card: CardLink) => Promise<T>): Promise<T | undefined> {
    let result: T | undefined;
    const outcome = await this.run(ctx, async (card) => {
      result = await work(card);
      return 'done';
    });
    return outcome === 'done' ? result : undefined;
  }

  /** Forgets the job's link (its sessions are closed). */
  drop(jobId: string): void {
    const link = this.#links.get(jobId);
    link?.current?.session.close();
    this.#links.delete(jobId);
  }

  /** Jobs with an open link (for tests and the service's shutdown). */
  get size(): number {
    return this.#links.size;
  }
}

/** One job's card: the transport and the Security Domain session currently open on it. */
export class CardLink {
  readonly #link: JobLink;

  constructor(link: JobLink) {
    this.#link = link;
  }

  get transport(): ApduTransport {
    return this.#link.transport;
  }

  /** The open session with the Security Domain `sdAid` (hex), opening it with `open` when another SD's (or none) is current. */
  async session(sdAid: string, open: () => Promise<SecureChannelSession>): Promise<SecureChannelSession> {
    const current = this.#link.current;
    if (current !== undefined && current.sdAid === sdAid && current.session.isOpen) return current.session;
    current?.session.close();
    this.#link.current = undefined;
    const session = await open();
    this.#link.current = { sdAid, session };
    return session;
  }

  /**
   * Closes logical channels 1–3 (ISO/IEC 7816-4 §11.1.2 MANAGE CHANNEL close, P2 = the channel):
   * a process that died, or a line that dropped, may have left an application selected on one, and
   * a non-multiselectable applet then cannot be selected again (GPC 2.3.1 §6.5.2). The answers are
   * ignored: a channel that is not open is refused, which is fine.
   */
  async closeStrayChannels(): Promise<void> {
    this.reset();
    for (const channel of [1, 2, 3]) await this.#link.transport.transmit(Uint8Array.of(0x00, 0x70, 0x80, channel));
  }

  /** Ends the current session (the next `session` call opens a fresh one), e.g. after the SD's keys changed. */
  reset(): void {
    this.#link.current?.session.close();
    this.#link.current = undefined;
  }
}
