/**
 * `opentsm gp delete AID [--force]`: DELETE [card content] (GPC 2.3.1 §11.2). `--force` sets P2 b8,
 * deleting the object's related objects too (a package's instances, an SD's applications).
 */
import { toHex } from '../../bytes/index.ts';
import { buildDelete } from '../../gp/index.ts';
import { expectOk } from './card-status.ts';
import type { GpContext } from './context.ts';
import { parseAid } from './parse.ts';

/** Deletes `aidText` (with its related objects when `force`) and says so. */
export async function gpDelete(ctx: GpContext, aidText: string, force: boolean): Promise<void> {
  const aid = parseAid(aidText, 'AID');
  const command = buildDelete({ kind: 'card-content', aid, related: force });
  expectOk(await ctx.send(command, 'DELETE'), 'DELETE', toHex(aid));
  ctx.out.out(`Deleted ${toHex(aid)}${force ? ' and its related objects' : ''}`);
}
