/**
 * The online audit of an SE (GPS_SPE_002 SEAudit: GetApplicationOrELFStatus with AuditType ONLINE;
 * docs/provisioning.md §"Registry mirror"): a job of the MNO that reads the card's registry through
 * the ISD, reports every difference from the stored mirror, then stores the reading as the mirror.
 */
import { TsmError } from '../errors.ts';
import { defineJobKind, type JobKind, type JsonValue } from '../jobs/index.ts';
import type { CardLinks } from './card-access.ts';
import { openIsd, readCardContent } from './card/index.ts';
import { jobContext, type ProvisioningDeps } from './deps.ts';
import { reconcile, refreshMirror } from './mirror.ts';

export const SE_AUDIT_KIND = 'se-audit';

/** The audit job kind: one step, `read`, whose output lists the differences found. */
export function seAuditKind(deps: ProvisioningDeps, links: CardLinks): JobKind {
  return defineJobKind(SE_AUDIT_KIND, [{
    name: 'read',
    run: (ctx) => links.run(ctx, async (card) => {
      const se = await deps.secureElement(ctx.job.seId);
      if (se === undefined || se.mno !== ctx.job.tenant) throw new TsmError('ERR_TSM_STATE', `SE ${ctx.job.seId} is not registered by this tenant`);
      const isd = await card.session(se.isd.aid.toUpperCase(), () => openIsd(deps.hsm, jobContext(se.mno, ctx.job.id), card.transport, se));
      const content = await readCardContent(isd);
      const differences = await reconcile(deps.db, se.seId, content);
      await refreshMirror(deps.db, se.seId, content, deps.now());
      const out: JsonValue = differences.map((d) => ({
        kind: d.kind, aid: d.aid,
        mirror: d.mirror === undefined ? null : d.mirror.lifecycle,
        card: d.card === undefined ? null : d.card.lifecycle,
      }));
      return { done: { entries: content.applications.length + content.loadFiles.length, differences: out } };
    }),
  }]);
}
