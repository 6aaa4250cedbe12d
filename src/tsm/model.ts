/**
 * The TSM's domain records, shared by the MNO side (registry/), the SP side (catalog/), provisioning
 * (provisioning/) and the HTTP routes (ARCHITECTURE.md §1, §4; docs/provisioning.md). Plain data:
 * byte strings as upper-case hex, keys as HSM key ids (never values), tenants as the API tenant
 * names that own them. Each owning module validates what it stores; this file only names the shapes.
 */
import type { ApduTransport } from '../apdu/index.ts';
import type { IssuerPersonalizationKeys } from './personalization/card-record.ts';

/** An SE's life as its operator reports it (GPS_SPE_002 SE status; research/tsm.md §1). */
export type SecureElementStatus = 'active' | 'locked' | 'lost' | 'stolen' | 'terminated';

/** A Secure Element the MNO registered (registry/). The ISD keys are HSM keys owned by the MNO tenant. */
export interface SecureElementRecord {
  /** The operator's identifier for the SE (e.g. the card's CPLC-derived id or ICCID): 1–64 printable ASCII. */
  readonly seId: string;
  /** The MNO tenant that registered it (the SE Issuer). */
  readonly mno: string;
  /** The SE platform profile a service flavour is matched against (e.g. `strict-ese`). */
  readonly platform: string;
  readonly status: SecureElementStatus;
  readonly isd: {
    /** ISD AID, hex. */
    readonly aid: string;
    readonly scp: 2 | 3;
    /** Key version number of the ISD key set. */
    readonly kvn: number;
    /** HSM key ids (owner: `mno`): GP-ENC, GP-MAC, GP-DEK. */
    readonly keys: { readonly enc: string; readonly mac: string; readonly dek: string };
  };
  /** ARA-M AID (hex) when the SE has one; the access rule step writes there through the ISD. */
  readonly araAid?: string;
  /** OTA data (issue 7's bearers): TARs (hex, 3 bytes each) and HSM key ids of KIc/KID. */
  readonly ota?: {
    readonly tars: readonly string[];
    readonly kic?: string;
    readonly kid?: string;
    readonly counter?: string;
    /**
     * SCP80 key sets as the factory's key file gives them (registry/se-ota.ts): KVN and the KIc/KID
     * bytes of a command packet (hex, 1 byte each), HSM key ids of KIc (D0) and KID (M6). The first
     * set is the one the TSM's trigger SMS uses.
     */
    readonly scp80?: readonly { readonly kvn: string; readonly kicByte: string; readonly kidByte: string; readonly kic: string; readonly kid: string }[];
    /** SCP81 (GPC Amd B): the agent's PSK identity, the PSK's KVN (hex) and its HSM key id (class `protocol-memory`). */
    readonly scp81?: { readonly kvn: string; readonly identity: string; readonly psk: string };
    /**
     * The MSISDN the trigger SMS goes to, sealed (tsm/protection: a sealed field under its own
     * transient record key `key`, bound to the SE id); never in the clear.
     */
    readonly msisdn?: { readonly key: string; readonly sealed: string };
  };
  readonly createdAt: string;
}

/** One SE platform a service can be deployed to, and how (catalog/). */
export interface ServiceFlavour {
  /** SE platform profile this flavour is for (matches SecureElementRecord.platform). */
  readonly platform: string;
  /** The package: preloaded on that platform (`cap` absent) or uploaded (`cap`: base64 of the CAP file). */
  readonly package: { readonly loadFileAid: string; readonly moduleAid: string; readonly cap?: string };
  /** Application instance AID (hex). */
  readonly instanceAid: string;
  /** GP privileges of the instance (hex, 1 or 3 bytes; GPC 2.3.1 Table 6-1). */
  readonly privileges: string;
  /** The SP's Supplementary Security Domain on this platform: AID (hex) and the KVN of the SP's key set. */
  readonly ssd: { readonly aid: string; readonly kvn: number };
  /** How the instance is personalized: `payment` (EMV CPS DGIs prepared by the HSM, docs/payment-application.md). */
  readonly personalization: 'payment';
}

/** A service an SP offers (catalog/): its flavours, its wallet app, its issuer keys. */
export interface ServiceRecord {
  readonly serviceId: string;
  /** The SP tenant that owns it. */
  readonly sp: string;
  readonly name: string;
  readonly flavours: readonly ServiceFlavour[];
  /** SHA-256 (or SHA-1) of the wallet app's signing certificate, hex: the ARA-M rule's DeviceAppID. */
  readonly walletCertHash: string;
  /**
   * Where the wallet's access rule lives (docs/access-rules.md): 'ara-m' (default, written by the
   * MNO through the ISD) or 'ara-c' (an ARA-C in the SP's SSD, registered with the ARA-M).
   */
  readonly accessRules?: 'ara-m' | 'ara-c';
  /** The issuer keys that personalize and later authorize the cards (HSM key ids of the SP tenant). */
  readonly issuer: IssuerPersonalizationKeys;
  /** The SP's SSD master keys (usage B3, SP tenant): per-SE SSD keys are diversified from them. */
  readonly ssdMasters: { readonly enc: string; readonly mac: string; readonly dek: string };
  readonly createdAt: string;
}

/** A service instance's state (GPS_SPE_002 service state; research/tsm.md §1.3). */
export type ServiceInstanceState = 'deploying' | 'active' | 'suspended' | 'failed' | 'terminating' | 'terminated';

/** A service deployed (or being deployed) to one SE (provisioning/). */
export interface ServiceInstanceRecord {
  readonly instanceId: string;
  readonly sp: string;
  readonly serviceId: string;
  readonly seId: string;
  readonly state: ServiceInstanceState;
  /** Application instance AID (hex). */
  readonly aid: string;
  /** The issuer's card id once registered (tsm/issuer). */
  readonly cardId?: string;
  /** The job that last changed it. */
  readonly jobId?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * How jobs reach an SE (ARCHITECTURE.md §5): a transport now, or none — the SE is not reachable
 * (phone offline) and the step waits. The wallet relay implements it (relay/); the SMS and SCP81
 * bearers of issue 7 will too. A bearer announces an SE becoming reachable with `onReachable`; the
 * service then delivers the waiting jobs of that SE.
 */
export interface CardBearer {
  /** A transport to `seId` now, or undefined when the SE cannot be reached. */
  connect(seId: string): ApduTransport | undefined;
  /** Registers `listener` for SEs that become reachable; returns a function that removes it. */
  onReachable(listener: (seId: string) => void): () => void;
}

/** The wait token of a job waiting for its SE to become reachable (one job at a time per SE). */
export function reachableToken(seId: string, jobId: string): string {
  return `se-reachable:${jobId}:${seId}`;
}
