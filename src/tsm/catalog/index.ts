/**
 * tsm/catalog: the SP side's service catalog (services, flavours per SE platform, issuer and SSD
 * key references) and the preliminary eligibility check the deploy job also runs.
 */
export {
  createService, spService, findService, listSpServices, putFlavour, serviceFromRow, checkFlavour, capDigest, MAX_FLAVOURS, MAX_CAP_BYTES,
  type CatalogContext, type ServiceDefinition,
} from './services.ts';
export { checkEligibility, NON_ELIGIBILITY_REASONS, type Eligibility, type NonEligibilityReason } from './eligibility.ts';
