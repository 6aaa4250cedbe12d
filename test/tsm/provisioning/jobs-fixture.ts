/**
 * The provisioning jobs' world: the card-operation world (SP and MNO tenants, STRICT_ESE phones
 * with the payment package and the ARA-M, the handover KBPK) plus a service record, a job engine
 * with the provisioning kinds, and a bearer that reaches the phones in this process — each phone can
 * be taken offline, or made to drop the line after N more APDUs.
 */
import type { ApduTransport } from '../../../src/apdu/index.ts';
import { toHex } from '../../../src/bytes/index.ts';
import { JobEngine, TsmError, type JobEvent, type JobView } from '../../../src/tsm/index.ts';
import type { CardBearer, SecureElementRecord, ServiceRecord } from '../../../src/tsm/model.ts';
import { CardLinks, ProvisioningService, provisioningKinds, type ProvisioningDeps } from '../../../src/tsm/provisioning/index.ts';
import { HsmPayloadCipher } from '../../../src/tsm/protection/index.ts';
import { PanIndexKeys } from '../../../src/tsm/http/tenant-keys.ts';
import { cardWorld, FINAL_KVN, PAYMENT_LOAD_FILE_AID, PAYMENT_MODULE_AID, SSD_AID, VISA_STYLE_AID, WALLET_CERT_HASH, type CardWorld } from './card/fixture.ts';

/** A bearer over in-process phones, with an off switch and a line that can drop mid-script. */
export class TestBearer implements CardBearer {
  readonly #phones = new Map<string, ApduTransport>();
  readonly #offline = new Set<string>();
  readonly #dropAfter = new Map<string, number>();
  readonly #listeners = new Set<(seId: string) => void>();
  #generation = 0;
  #killAt: { at: number; kill: () => void } | undefined;
  apdus = 0;

  /**
   * A process kill after `n` more APDUs: `kill` runs (the test abandons the engine) and every
   * transport handed out so far fails from then on — a dead process sends nothing more.
   */
  killAfter(n: number, kill: () => void): void {
    this.#killAt = { at: this.apdus + n, kill };
  }

  /** Transports handed out before this call stop working (the old process is gone). */
  cut(): void {
    this.#generation++;
  }

  add(seId: string, transport: ApduTransport): void {
    this.#phones.set(seId, transport);
  }

  connect(seId: string): ApduTransport | undefined {
    const phone = this.#phones.get(seId);
    if (phone === undefined || this.#offline.has(seId)) return undefined;
    const generation = this.#generation;
    return {
      transmit: async (command) => {
        if (generation !== this.#generation) throw new TsmError('ERR_TSM_UNREACHABLE', 'the process that held this line is gone');
        if (this.#killAt !== undefined && this.apdus >= this.#killAt.at) {
          const { kill } = this.#killAt;
          this.#killAt = undefined;
          this.#generation++;
          kill();
          throw new TsmError('ERR_TSM_UNREACHABLE', 'killed');
        }
        const left = this.#dropAfter.get(seId);
        if (this.#offline.has(seId) || left === 0) {
          this.#offline.add(seId);
          this.#dropAfter.delete(seId);
          throw new TsmError('ERR_TSM_UNREACHABLE', `the phone of ${seId} went away`);
        }
        if (left !== undefined) this.#dropAfter.set(seId, left - 1);
        this.apdus++;
        return phone.transmit(command);
      },
    };
  }

  onReachable(listener: (seId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Takes the phone offline now, or after `afterApdus` more commands. */
  offline(seId: string, afterApdus?: number): void {
    if (afterApdus === undefined) this.#offline.add(seId);
    else this.#dropAfter.set(seId, afterApdus);
  }

  /** Brings it back and announces it. */
  online(seId: string): void {
    this.#offline.delete(seId);
    this.#dropAfter.delete(seId);
    for (const l of this.#listeners) l(seId);
  }
}

export interface JobsWorld {
  readonly cw: CardWorld;
  readonly bearer: TestBearer;
  readonly service: ServiceRecord;
  readonly ses: Map<string, SecureElementRecord>;
  readonly deps: ProvisioningDeps;
  readonly events: JobEvent[];
  /** Every instance state change provisioning announced (the SP's instance.state webhooks), in order. */
  readonly instanceStates: { sp: string; instanceId: string; state: string }[];
  engine: JobEngine;
  provisioning: ProvisioningService;
  links: CardLinks;
  /** Opens a new engine (and provisioning service) on the same database: a process restart. */
  restart(options?: { abandonOld?: boolean }): Promise<void>;
  /** Waits until the job has ended or waits for a bearer. */
  settle(jobId: string): Promise<JobView>;
  close(): Promise<void>;
}

export const SERVICE_ID = 'svc-visa';

/** Options of jobsWorld; the default is the in-process TestBearer over every phone. */
export interface JobsWorldOptions {
  /**
   * The engine's only CardBearer instead of the TestBearer (which still holds the phones, unused):
   * made once the card world (and its HSM) exists, e.g. an SCP81 bearer.
   */
  readonly bearer?: (cw: CardWorld) => CardBearer | Promise<CardBearer>;
}

export async function jobsWorld(phones = 1, options: JobsWorldOptions = {}): Promise<JobsWorld> {
  const cw = await cardWorld(phones);
  const bearer = new TestBearer();
  const cardBearer: CardBearer = options.bearer === undefined ? bearer : await options.bearer(cw);
  const ses = new Map<string, SecureElementRecord>();
  for (const p of cw.phones) {
    bearer.add(p.record.seId, p.transport);
    ses.set(p.record.seId, p.record);
  }
  const service: ServiceRecord = {
    serviceId: SERVICE_ID, sp: cw.spCtx.tenant, name: 'Visa debit', walletCertHash: WALLET_CERT_HASH, issuer: cw.world.issuerKeys, ssdMasters: cw.ssdMasters,
    createdAt: new Date().toISOString(),
    flavours: [{
      platform: 'strict-ese', package: { loadFileAid: toHex(PAYMENT_LOAD_FILE_AID), moduleAid: toHex(PAYMENT_MODULE_AID) }, instanceAid: toHex(VISA_STYLE_AID),
      privileges: '00', ssd: { aid: SSD_AID, kvn: FINAL_KVN }, personalization: 'payment',
    }],
  };
  const panIndexKeys = new PanIndexKeys(cw.world.t.hsm);
  const instanceStates: { sp: string; instanceId: string; state: string }[] = [];
  const deps: ProvisioningDeps = {
    db: cw.world.db, hsm: cw.world.t.hsm, bearer: cardBearer, now: () => new Date(),
    secureElement: (seId) => Promise.resolve(ses.get(seId)),
    service: (id) => Promise.resolve(id === SERVICE_ID ? service : undefined),
    panIndexKey: (ctx) => panIndexKeys.keyOf(ctx),
    onInstanceState: (sp, instanceId, state) => void instanceStates.push({ sp, instanceId, state }),
  };
  const events: JobEvent[] = [];
  const cipher = new HsmPayloadCipher(cw.world.t.hsm);
  const open = () => {
    const links = new CardLinks(cardBearer);
    const late: { provisioning?: ProvisioningService } = {};
    const engine = new JobEngine({
      db: cw.world.db, kinds: provisioningKinds(deps, links), cipher, pollIntervalMs: 0, concurrency: 4,
      onEvent: (e) => {
        events.push(e);
        late.provisioning?.onJobEvent(e);
      },
    });
    const provisioning = new ProvisioningService(deps, engine, links);
    late.provisioning = provisioning;
    return { engine, provisioning, links };
  };
  const first = open();
  const w: JobsWorld = {
    cw, bearer, service, ses, deps, events, instanceStates, ...first,
    async restart(options = {}) {
      await w.engine.close(options.abandonOld === true ? { abandon: true } : {});
      w.provisioning.close();
      Object.assign(w, open());
      await w.engine.resume();
    },
    async settle(jobId) {
      for (let i = 0; i < 2000; i++) {
        await w.engine.idle();
        const job = await w.engine.get(jobId, cw.spCtx.tenant).catch(() => undefined) ?? (await w.engine.get(jobId, cw.mnoCtx.tenant));
        if (!['queued', 'running'].includes(job.state)) return job;
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error(`job ${jobId} did not settle`);
    },
    async close() {
      await w.engine.close();
      w.provisioning.close();
      await cw.close();
    },
  };
  return w;
}
