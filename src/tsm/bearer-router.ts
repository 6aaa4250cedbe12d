/**
 * The bearer router (ARCHITECTURE.md §5; issue 7 "bearer chosen by the SE's platform profile"): one
 * {@link CardBearer} for the job engine that sends each SE to the wallet relay or to the SCP81 admin
 * server. The rule is data ({@link BearerPolicy}: platform profile id → bearer) and explicit:
 * an SE goes over SCP81 only when its platform maps to `scp81`, its registration carries an SCP81
 * PSK and the service runs an SCP81 bearer; every other SE goes over the relay.
 *
 * `connect` is synchronous, so the route of an SE is looked up once (asynchronously, e.g. in the
 * registry) and cached: the first `connect` of an SE answers "not reachable" and starts the look-up;
 * when it ends the router connects through the chosen bearer (which, for SCP81, sends the trigger)
 * and announces the SE as reachable when that bearer can already carry it, so the waiting job goes on.
 */
import { TsmError } from './errors.ts';
import type { CardBearer, SecureElementRecord } from './model.ts';
import type { ApduTransport } from '../apdu/index.ts';

/** The bearers the router chooses between. */
export const BEARER_NAMES = ['relay', 'scp81'] as const;
export type BearerName = (typeof BEARER_NAMES)[number];

/** Platform profile id → the bearer its SEs use; a platform not named goes over the relay. */
export type BearerPolicy = Readonly<Record<string, BearerName>>;

/** The default rule: the UICC profiles over SCP81 (when the SE has an SCP81 PSK), every other over the relay. */
export const DEFAULT_BEARER_POLICY: BearerPolicy = Object.freeze({ 'strict-uicc': 'scp81', 'legacy-uicc': 'scp81' });

/** Checks a policy given by configuration: platform ids → 'relay' | 'scp81'; ERR_TSM_CONFIG otherwise. */
export function checkBearerPolicy(policy: unknown, field = 'bearerFor'): BearerPolicy {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) throw new TsmError('ERR_TSM_CONFIG', `${field}: expected an object of platform id → 'relay' | 'scp81'`);
  const out: Record<string, BearerName> = {};
  for (const [platform, bearer] of Object.entries(policy)) {
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(platform)) throw new TsmError('ERR_TSM_CONFIG', `${field}: platform id ${JSON.stringify(platform.slice(0, 64))} is not a platform profile id`);
    if (!(BEARER_NAMES as readonly unknown[]).includes(bearer)) throw new TsmError('ERR_TSM_CONFIG', `${field}.${platform}: expected 'relay' or 'scp81'`);
    out[platform] = bearer as BearerName;
  }
  return Object.freeze(out);
}

/**
 * The bearer of one SE under `policy`: `scp81` when its platform maps to scp81, it has an SCP81 PSK
 * registered and `scp81Running`; `relay` otherwise (also for an SE the registry does not know).
 */
export function bearerOf(se: Pick<SecureElementRecord, 'platform' | 'ota'> | undefined, policy: BearerPolicy, scp81Running: boolean): BearerName {
  if (se === undefined || !scp81Running) return 'relay';
  const wanted = Object.hasOwn(policy, se.platform) ? policy[se.platform] : undefined;
  return wanted === 'scp81' && se.ota?.scp81 !== undefined ? 'scp81' : 'relay';
}

export interface BearerRouterOptions {
  /** The relay (always) and the SCP81 bearer (when the service runs one). */
  readonly bearers: { readonly relay: CardBearer; readonly scp81?: CardBearer };
  /** Which bearer serves `seId` (e.g. `bearerOf` of its registry record); called once per SE while cached. */
  readonly route: (seId: string) => Promise<BearerName>;
  /** How many SE routes are kept (default 100 000; the oldest is dropped first). */
  readonly cacheSize?: number;
  /** Told failed look-ups (the SE stays unrouted; the next `connect` looks again). */
  readonly onError?: (error: Error, seId: string) => void;
}

/** A CardBearer over the relay and the SCP81 bearer, each SE on the one its route names. */
export class BearerRouter implements CardBearer {
  readonly #o: BearerRouterOptions;
  readonly #cacheSize: number;
  readonly #routes = new Map<string, BearerName>();
  readonly #pending = new Set<string>();
  readonly #listeners = new Set<(seId: string) => void>();
  readonly #unsubscribe: (() => void)[];

  constructor(options: BearerRouterOptions) {
    const size = options.cacheSize ?? 100_000;
    if (!Number.isInteger(size) || size < 1) throw new TsmError('ERR_TSM_CONFIG', 'bearer router: cacheSize must be a positive integer');
    this.#o = options;
    this.#cacheSize = size;
    // onReachable merges both bearers; an announcement from a bearer that is not the SE's is dropped.
    this.#unsubscribe = (Object.entries(options.bearers) as [BearerName, CardBearer | undefined][])
      .filter((e): e is [BearerName, CardBearer] => e[1] !== undefined)
      .map(([name, bearer]) => bearer.onReachable((seId) => {
        const route = this.#routes.get(seId);
        if (route === undefined || route === name) this.#announce(seId);
      }));
  }

  /** The cached route of `seId`, if looked up. */
  routeOf(seId: string): BearerName | undefined {
    return this.#routes.get(seId);
  }

  /** Sets the route of `seId` (e.g. right after its registration), replacing a cached one. */
  setRoute(seId: string, bearer: BearerName): void {
    if (!(BEARER_NAMES as readonly string[]).includes(bearer)) throw new TsmError('ERR_TSM_REQUEST', 'bearer router: bearer must be relay or scp81');
    this.#routes.delete(seId);
    this.#routes.set(seId, bearer);
    if (this.#routes.size > this.#cacheSize) this.#routes.delete(this.#routes.keys().next().value!);
  }

  /** Forgets the cached route of `seId` (its next `connect` looks it up again). */
  forget(seId: string): void {
    this.#routes.delete(seId);
  }

  connect(seId: string): ApduTransport | undefined {
    const route = this.#routes.get(seId);
    if (route === undefined) {
      this.#lookUp(seId);
      return undefined;
    }
    return this.#bearer(route).connect(seId);
  }

  onReachable(listener: (seId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Stops listening to the bearers (they are closed by their owner). */
  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#listeners.clear();
  }

  #bearer(route: BearerName): CardBearer {
    const bearer = this.#o.bearers[route];
    if (bearer === undefined) throw new TsmError('ERR_TSM_STATE', `bearer router: no ${route} bearer`);
    return bearer;
  }

  #lookUp(seId: string): void {
    if (this.#pending.has(seId)) return;
    this.#pending.add(seId);
    void (async () => {
      try {
        const route = await this.#o.route(seId);
        this.setRoute(seId, route);
        // The route's bearer: SCP81 sends its trigger now; a transport at once means the SE can be served.
        if (this.#bearer(route).connect(seId) !== undefined) this.#announce(seId);
      } catch (e) {
        this.#o.onError?.(e instanceof Error ? e : new Error(String(e)), seId);
      } finally {
        this.#pending.delete(seId);
      }
    })();
  }

  #announce(seId: string): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(seId);
      } catch (e) {
        this.#o.onError?.(e instanceof Error ? e : new Error(String(e)), seId);
      }
    }
  }
}
