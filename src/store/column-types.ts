/**
 * Column types that differ between the dialects, for migrations. Everything else uses types both
 * map the same way: `text`, `integer`.
 */
import type { ColumnDataType, CreateTableBuilder, Kysely } from 'kysely';
import { dialectOf } from './database.ts';

/** Bytes: `blob` on SQLite, `bytea` on PostgreSQL. Both drivers return a Buffer: read it with `bytesFromColumn`. */
export function binaryColumnType<DB>(db: Kysely<DB>): ColumnDataType {
  return dialectOf(db) === 'postgres' ? 'bytea' : 'blob';
}

/** A 64-bit integer: `bigint` on PostgreSQL (parsed to a number by the store's pool), `integer` on SQLite (already 64-bit). */
export function bigintColumnType<DB>(db: Kysely<DB>): ColumnDataType {
  return dialectOf(db) === 'postgres' ? 'bigint' : 'integer';
}

/**
 * Adds a 64-bit primary key the database assigns in increasing order and never reuses:
 * `integer primary key autoincrement` on SQLite, `bigint generated always as identity` on PostgreSQL.
 */
export function addSerialPrimaryKey<DB, TB extends string>(
  db: Kysely<DB>,
  table: CreateTableBuilder<TB, never>,
  column: string,
): CreateTableBuilder<TB, string> {
  return dialectOf(db) === 'postgres'
    ? table.addColumn(column, 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    : table.addColumn(column, 'integer', (c) => c.primaryKey().autoIncrement());
}

/** A binary column's value as a `Uint8Array` (drivers hand back a Buffer: converted at once, CONVENTIONS.md §1). */
export function bytesFromColumn(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
}
