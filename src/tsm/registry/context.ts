/**
 * What the registry's operations run with: the store, the HSM, the caller's operation context (its
 * tenant is the MNO) and the clock. Plain data, so the HTTP routes, the CLI and tests share it.
 */
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import type { StoreDb } from '../../store/index.ts';

export interface RegistryContext {
  readonly db: StoreDb;
  readonly hsm: Hsm;
  /** The caller: `ctx.tenant` is the MNO that owns what is registered. */
  readonly ctx: OperationContext;
  readonly now: () => Date;
}

/** Upper-case hex of a JSON hex field (the model keeps byte strings upper case). */
export const upperHex = (hex: string): string => hex.toUpperCase();
