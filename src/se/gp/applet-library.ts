/**
 * The applets this card can run: TypeScript implementations registered by the Executable Module AID
 * they stand for. The card does not execute Java Card bytecode (README): when INSTALL names a module
 * with no implementation here, the instance is an inert applet that answers SELECT and nothing else.
 */
import { toHex } from '../../bytes/index.ts';
import type { Applet } from '../runtime/applet.ts';
import type { ApplicationState } from '../state/card-state.ts';

/** Builds the applet object of an installed instance (volatile: rebuilt after every power-up). */
export type AppletFactory = (instance: ApplicationState) => Applet;

export interface AppletImplementation {
  /** Readable name (traces, `opentsm gp list`). */
  readonly name: string;
  readonly create: AppletFactory;
}

/** Module AID → implementation. Immutable once built; pass a different library for a different card. */
export class AppletLibrary {
  readonly #byModule = new Map<string, AppletImplementation>();

  constructor(entries: Iterable<readonly [Uint8Array, AppletImplementation]> = []) {
    for (const [aid, impl] of entries) this.#byModule.set(toHex(aid), impl);
  }

  /** A new library with `impl` registered for `moduleAid`. */
  with(moduleAid: Uint8Array, impl: AppletImplementation): AppletLibrary {
    const next = new AppletLibrary();
    for (const [k, v] of this.#byModule) next.#byModule.set(k, v);
    next.#byModule.set(toHex(moduleAid), impl);
    return next;
  }

  /** The implementation for a module AID, if one is registered. */
  lookup(moduleAid: Uint8Array): AppletImplementation | undefined {
    return this.#byModule.get(toHex(moduleAid));
  }
}
