/**
 * The server's side of one SCP81 dialog: a fixed list of scripts handed out one per POST, each
 * report recorded once. Script i goes out with Next-URI `<base>/<i>`, where the agent POSTs its
 * report; after the last report (or a report that is not `ok`) the answer is 204 without Next-URI,
 * which ends the session (GPC Amd B).
 *
 * Resume (GPC Amd B: the agent re-navigates its last URI with `X-Admin-Resume: true`; the server
 * decides whether to continue): a POST that opens or re-opens the dialog gets the first script
 * without a report; a report already recorded is not recorded again (the first one stands) and the
 * next unreported script is sent again. So a script the card has reported never runs twice; a
 * script sent but never reported is sent again, since the card either did not get it or its report
 * was lost — scripts must tolerate that (research/ota.md §5: idempotent scripts).
 */
import { OtaError } from '../errors.ts';
import { adminAnswer, type AdminAnswer, type AgentPost, type ScriptReport } from './admin-protocol.ts';
import { checkOriginForm, formatTargetedApplication, refuse } from './header-values.ts';

/** A dialog's configuration. */
export interface DialogOptions {
  /** Path prefix of this dialog's Next-URIs (e.g. `/scp81/s/<session id>`); unguessable per session. */
  readonly base: string;
  /** The expanded-format scripts, in order (at least one). */
  readonly scripts: readonly Uint8Array[];
  /** `X-Admin-Targeted-Application` for every script, when not the SD holding the PSK. */
  readonly targetedApplication?: Uint8Array;
}

/** Where a dialog stands. */
export type DialogState = 'open' | 'done' | 'failed';

/** One dialog's state (mutable: a session object, CONVENTIONS.md §11). */
export class ScriptDialog {
  readonly #base: string;
  readonly #scripts: readonly Uint8Array[];
  readonly #target: Uint8Array | undefined;
  readonly #reports: (ScriptReport | undefined)[];
  #sent = -1;
  #resumes = 0;

  constructor(options: DialogOptions) {
    this.#base = checkOriginForm(options.base, 900, 'dialog base', 'caller');
    if (options.base.includes('?')) refuse('caller', 'dialog base', 'a path without query');
    if (options.scripts.length === 0 || options.scripts.some((s) => !(s instanceof Uint8Array) || s.length === 0)) {
      refuse('caller', 'dialog scripts', 'expected at least one non-empty script');
    }
    if (options.targetedApplication !== undefined) formatTargetedApplication(options.targetedApplication);
    this.#scripts = options.scripts.map((s) => s.slice());
    this.#target = options.targetedApplication?.slice();
    this.#reports = options.scripts.map(() => undefined);
  }

  /** Whether `uri` belongs to this dialog (its base or below). */
  owns(uri: string): boolean {
    return uri === this.#base || uri.startsWith(`${this.#base}/`);
  }

  /** The reports recorded so far, by script index. */
  get reports(): readonly (ScriptReport | undefined)[] {
    return [...this.#reports];
  }

  /** POSTs that re-navigated with `X-Admin-Resume: true`. */
  get resumes(): number {
    return this.#resumes;
  }

  get state(): DialogState {
    if (this.#reports.some((r) => r !== undefined && r.status !== 'ok')) return 'failed';
    return this.#reports.every((r) => r !== undefined) ? 'done' : 'open';
  }

  /** The answer to one POST of the agent. Throws `ERR_OTA_ADMIN` for a POST this dialog cannot take. */
  answer(post: AgentPost): AdminAnswer {
    if (post.resume) this.#resumes++;
    if (post.report !== undefined) this.#record(this.#indexOf(post.uri), post.report, post.resume);
    if (this.state !== 'open') return adminAnswer({ script: undefined, nextUri: undefined, targetedApplication: undefined });
    const next = this.#reports.findIndex((r) => r === undefined);
    this.#sent = Math.max(this.#sent, next);
    return adminAnswer({ script: this.#scripts[next], nextUri: `${this.#base}/${next}`, targetedApplication: this.#target });
  }

  #indexOf(uri: string): number {
    const m = uri.startsWith(`${this.#base}/`) ? /^(0|[1-9][0-9]{0,5})$/.exec(uri.slice(this.#base.length + 1)) : null;
    const i = m === null ? -1 : Number(m[1]);
    if (i < 0 || i > this.#sent) throw new OtaError('ERR_OTA_ADMIN', 'SCP81 report: not at the Next-URI of a script sent');
    return i;
  }

  #record(i: number, report: ScriptReport, resume: boolean): void {
    if (this.#reports[i] === undefined) {
      this.#reports[i] = report;
      return;
    }
    // Only a resumed POST may repeat a report; the first one recorded stands.
    if (!resume) throw new OtaError('ERR_OTA_ADMIN', 'SCP81 report: this script was reported already');
  }
}
