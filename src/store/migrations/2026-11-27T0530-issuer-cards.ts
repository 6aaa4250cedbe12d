/**
 * The issuer's card records (docs/payment-application.md §5): one row per personalized payment
 * card, found by a keyed hash of PAN ‖ PSN (never the PAN), holding its CVN profile, the issuer
 * master key ids, the last ATC seen online and the issuer scripts waiting for delivery.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('issuer_cards')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('pan_index', 'text', (c) => c.notNull())
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('imk_ac', 'text', (c) => c.notNull())
    .addColumn('imk_smi', 'text', (c) => c.notNull())
    .addColumn('imk_smc', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('last_atc', 'integer', (c) => c.notNull())
    .addColumn('pending_scripts', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('issuer_cards_owner_pan_index').ifNotExists().unique().on('issuer_cards').columns(['owner', 'pan_index']).execute();
}
