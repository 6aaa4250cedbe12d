import { OpenTsmError } from '../bytes/index.ts';

/**
 * Codes raised by the `store/` layer. Messages name tables, fields and lengths — never a stored
 * value (a wrapped key block, a passphrase hash, a label) and never a database password.
 */
export const STORE_ERROR_CODES = [
  'ERR_STORE_URL',
  'ERR_STORE_OPEN',
  'ERR_STORE_MIGRATION',
  'ERR_STORE_RECORD',
  'ERR_STORE_PARAM',
  'ERR_STORE_QUERY',
  'ERR_STORE_CONFLICT',
] as const;
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

/**
 * A persistence failure: a database URL we cannot use, a database we cannot open or migrate, a
 * record or stored row that does not have the shape the store keeps, or a query the database refused.
 */
export class StoreError extends OpenTsmError<StoreErrorCode> {}

/** Driver error properties that may quote row values (node-postgres `detail`, `where`, …): dropped. */
const KEPT_CAUSE_FIELDS = ['code', 'errno', 'severity', 'routine'] as const;

/**
 * A copy of a driver error that keeps its class name, message and code but drops every field that
 * can quote row values: PostgreSQL puts the failing row in `detail` ("Failing row contains (…)").
 */
export function sanitizeCause(error: unknown): unknown {
  if (error instanceof StoreError || !(error instanceof Error)) return error;
  const copy = new Error(error.message);
  copy.name = error.name;
  const source = error as unknown as Record<string, unknown>;
  const target = copy as unknown as Record<string, unknown>;
  for (const field of KEPT_CAUSE_FIELDS) {
    const value = source[field];
    if (typeof value === 'string' || typeof value === 'number') target[field] = value;
  }
  return copy;
}

/**
 * Runs one store operation; a failure that is not already a `StoreError` becomes
 * `ERR_STORE_QUERY` naming the operation, with the sanitized driver error as `cause`.
 */
export async function storeOperation<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError('ERR_STORE_QUERY', `store: ${operation} failed`, { cause: sanitizeCause(error) });
  }
}
