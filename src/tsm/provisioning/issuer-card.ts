/**
 * The issuer's side of an instance's card, as the provisioning jobs use it (docs/provisioning.md):
 * registered under an id the job fixes (so a repeated registration returns the same card) and ended
 * idempotently (a card already ended counts as done).
 */
import { TsmError } from '../errors.ts';
import { IssuerService } from '../issuer/issuer-service.ts';
import type { PaymentCardRecord } from '../personalization/card-record.ts';
import type { InstanceContext } from './deploy-context.ts';
import type { ProvisioningDeps } from './deps.ts';

async function issuerOf(deps: ProvisioningDeps, c: InstanceContext): Promise<IssuerService> {
  return new IssuerService({ db: deps.db, hsm: deps.hsm, ctx: c.spCtx, panIndexKey: await deps.panIndexKey(c.spCtx), now: deps.now });
}

/** Registers `card` with the service's issuer keys under `cardId`; returns it. ERR_TSM_CONFLICT for a PAN/PSN live under another id. */
export async function registerIssuerCard(deps: ProvisioningDeps, c: InstanceContext, card: PaymentCardRecord, cardId: string): Promise<string> {
  const { issuer } = c.service;
  return (await issuerOf(deps, c)).registerCard(
    { pan: card.pan, psn: card.psn, profile: card.profile, imkAc: issuer.imkAc, imkSmi: issuer.imkSmi, imkSmc: issuer.imkSmc },
    { id: cardId },
  );
}

/** Ends the issuer's card `cardId` (its PAN index erased); one already ended or gone is done. */
export async function endIssuerCard(deps: ProvisioningDeps, c: InstanceContext, cardId: string): Promise<void> {
  try {
    await (await issuerOf(deps, c)).terminateCard(cardId);
  } catch (e) {
    if (!(e instanceof TsmError && e.code === 'ERR_TSM_NOT_FOUND')) throw e;
  }
}
