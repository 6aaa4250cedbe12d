/**
 * The card manager (GPC 2.3.1 §3.8: OPEN + Issuer Security Domain): the applet directory the card
 * OS selects from, and the cache of applet objects. Applet objects are volatile; everything they
 * keep across power cuts is in the card state.
 */
import { toHex } from '../../bytes/index.ts';
import { CARD_LIFECYCLE } from '../../gp/index.ts';
import type { Applet, AppletDirectory, SelectableEntry } from '../runtime/applet.ts';
import type { CardProfile } from '../profiles/card-profile.ts';
import type { ApplicationState } from '../state/card-state.ts';
import type { CardModel } from '../state/card-model.ts';
import type { AppletLibrary } from './applet-library.ts';
import { INERT_APPLET, lockedApplet } from './inert-applet.ts';
import { aidStartsWith, holds, isLocked, isSelectableLifecycle, sameAid } from './registry.ts';
import { SecurityDomainApplet } from './security-domain.ts';
import { UICC_FS_ID, UiccFileSystem } from '../applets/uicc/uicc-file-system.ts';

export class CardManager implements AppletDirectory {
  readonly model: CardModel;
  readonly profile: CardProfile;
  readonly library: AppletLibrary;
  readonly #instances = new Map<string, Applet>();
  readonly #locked: Applet;
  readonly #fileSystem: Applet = new UiccFileSystem(() => this.model.state.ota?.iccid);

  constructor(model: CardModel, profile: CardProfile, library: AppletLibrary) {
    this.model = model;
    this.profile = profile;
    this.library = library;
    this.#locked = lockedApplet(profile.quirks.lockedSelectSw);
  }

  /** The applet object of an installed instance (Security Domains run the built-in SD applet). */
  applet(app: ApplicationState): Applet {
    const key = toHex(app.aid);
    let applet = this.#instances.get(key);
    if (applet === undefined) {
      applet = app.sd !== undefined ? new SecurityDomainApplet(this, app.aid) : (this.library.lookup(app.moduleAid)?.create(app) ?? INERT_APPLET);
      this.#instances.set(key, applet);
    }
    return applet;
  }

  /** Drops the cached applet object of a deleted instance. */
  forget(aid: Uint8Array): void {
    this.#instances.delete(toHex(aid));
  }

  selectable(prefix: Uint8Array, _channel: number, _contactless: boolean): readonly SelectableEntry[] {
    const state = this.model.state;
    const out: SelectableEntry[] = [];
    for (const app of state.applications) {
      if (!aidStartsWith(app.aid, prefix)) continue;
      const isd = sameAid(app.aid, state.isdAid);
      // GPC 2.3.1 §5.1.1.4–5: a locked or terminated card lets only the ISD (or a Final Application) be selected
      if (state.lifecycle === CARD_LIFECYCLE.CARD_LOCKED || state.lifecycle === CARD_LIFECYCLE.TERMINATED) {
        if (!isd && !(state.lifecycle === CARD_LIFECYCLE.CARD_LOCKED && holds(app, 'FinalApplication'))) continue;
      }
      if (isd) out.push({ aid: app.aid, applet: this.applet(app) });
      else if (isSelectableLifecycle(app)) out.push({ aid: app.aid, applet: this.applet(app) });
      else if (isLocked(app)) out.push({ aid: app.aid, applet: this.#locked });
    }
    return out;
  }

  implicit(channel: number, contactless: boolean): SelectableEntry | undefined {
    // TS 102 221: a UICC has its MF selected on the basic channel after reset (GP UICC Configuration)
    if (this.profile.kind === 'uicc' && channel === 0 && !contactless) return { aid: UICC_FS_ID, applet: this.#fileSystem };
    const state = this.model.state;
    const chosen = state.applications.find(
      (a) => isSelectableLifecycle(a) && a.implicitSelection.some((s) => s.channel === channel && (contactless ? s.contactless : s.contact)),
    );
    // GPC 2.3.1 §7.1.1: the ISD is implicitly selected where no other application is
    const app = chosen ?? state.applications.find((a) => sameAid(a.aid, state.isdAid));
    return app === undefined ? undefined : { aid: app.aid, applet: this.applet(app) };
  }
}
