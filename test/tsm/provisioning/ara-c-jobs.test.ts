/**
 * A service with `accessRules: 'ara-c'` (docs/access-rules.md): the deploy installs an ARA-C in the
 * SP's SSD, registers it with the ARA-M through the ISD and writes the wallet rule through the SSD;
 * the device reads it from the ARA-M's GET DATA [All]. Terminate deletes it. A process killed at any
 * point of the deploy still ends with one rule, one ARA-C and one registration.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../../src/bytes/index.ts';
import { commandApdu, encodeCommand, parseResponse, SW, type ApduTransport } from '../../../src/apdu/index.ts';
import { parseTlvList, type Tlv } from '../../../src/tlv/index.ts';
import { TsmError } from '../../../src/tsm/index.ts';
import { checkAccessRules, serviceFromRow } from '../../../src/tsm/catalog/services.ts';
import type { ServiceRecord } from '../../../src/tsm/model.ts';
import type { ProvisioningDeps } from '../../../src/tsm/provisioning/index.ts';
import { araCAidFor, openIsd, readAccessRules, readAraClients, readCardContent } from '../../../src/tsm/provisioning/card/index.ts';
import { ARA_M_AID, SSD_AID, visaCard, VISA_STYLE_AID, WALLET_CERT_HASH } from './card/fixture.ts';
import { jobsWorld, SERVICE_ID, type JobsWorld } from './jobs-fixture.ts';

const ARA_C_AID = toHex(araCAidFor(SSD_AID));

/** The device's view: GET DATA [All] (and [Next]) to the ARA-M on a logical channel of its own, as AOSP reads it. */
async function deviceRules(transport: ApduTransport): Promise<readonly Tlv[]> {
  const send = async (cla: number, ins: number, p1: number, p2: number, data: Uint8Array = new Uint8Array(0)) =>
    parseResponse(await transport.transmit(encodeCommand(commandApdu({ cla, ins, p1, p2, data, ne: 256 }))));
  const open = await send(0x00, 0x70, 0x00, 0x00);
  assert.equal(open.sw, SW.OK, 'MANAGE CHANNEL open');
  const ch = open.data[0]!;
  try {
    assert.equal((await send(ch, 0xa4, 0x04, 0x00, ARA_M_AID)).sw, SW.OK, 'SELECT ARA-M');
    const first = await send(0x80 | ch, 0xca, 0xff, 0x40);
    assert.equal(first.sw, SW.OK);
    const l = first.data[2]!;
    const n = l < 0x80 ? 0 : l & 0x7f;
    const length = n === 0 ? l : [...first.data.subarray(3, 3 + n)].reduce((a, b) => a * 256 + b, 0);
    let bytes = first.data;
    while (bytes.length < 3 + n + length) {
      const next = await send(0x80 | ch, 0xca, 0xff, 0x60);
      assert.equal(next.sw, SW.OK);
      bytes = Uint8Array.from([...bytes, ...next.data]);
    }
    return parseTlvList(bytes.subarray(3 + n));
  } finally {
    await send(0x00, 0x70, 0x80, ch);
  }
}

/** The device rules for the wallet and the payment instance (REF-DO 4F VISA, C1 wallet hash). */
async function walletRules(w: JobsWorld, i: number): Promise<number> {
  const rules = await deviceRules(w.cw.phones[i]!.transport);
  return rules.filter((r) => {
    const ref = r.children?.find((c) => c.tag === 0xe1)?.children ?? [];
    return toHex(ref.find((c) => c.tag === 0x4f)?.value ?? new Uint8Array(0)) === toHex(VISA_STYLE_AID) && toHex(ref.find((c) => c.tag === 0xc1)?.value ?? new Uint8Array(0)) === WALLET_CERT_HASH;
  }).length;
}

/** What the ISD sees: the ARA-M's own rules, its client list, and how many ARA-C instances. */
async function isdView(w: JobsWorld, i: number) {
  const phone = w.cw.phones[i]!;
  const isd = await openIsd(w.cw.world.t.hsm, w.cw.mnoCtx, phone.transport, phone.record);
  try {
    const own = await readAccessRules(isd, phone.record.araAid!);
    const clients = (await readAraClients(isd, phone.record.araAid!)).map(toHex);
    const content = await readCardContent(isd);
    const araCs = content.applications.filter((a) => toHex(a.aid) === ARA_C_AID);
    return { own: own.length, clients, araCs: araCs.map((a) => (a.domainAid === undefined ? '' : toHex(a.domainAid))) };
  } finally {
    isd.close();
  }
}

function cardOf(w: JobsWorld, i: number) {
  return visaCard(w.cw.world, `47617300000${String(200 + i).padStart(4, '0')}0`.slice(0, 15) + '0');
}

describe("the catalog's accessRules option", () => {
  it("defaults to 'ara-m' (nothing stored), keeps 'ara-c', refuses anything else", () => {
    assert.deepEqual(checkAccessRules(undefined), {});
    assert.deepEqual(checkAccessRules('ara-m'), {});
    assert.deepEqual(checkAccessRules('ara-c'), { accessRules: 'ara-c' });
    assert.throws(() => checkAccessRules('arf'), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_REQUEST');
    const row = (record: object) => ({ id: 'svc_1', sp: 'sp', name: 'n', record: JSON.stringify({ walletCertHash: WALLET_CERT_HASH, issuer: { imkAc: 'a', imkSmi: 'b', imkSmc: 'c', issuerKey: 'd', issuerCertificate: { certificate: '00', remainder: '', exponent: '03' }, caPublicKeyIndex: 1 }, ssdMasters: { enc: 'e', mac: 'm', dek: 'k' }, flavours: [], ...record }), created_at: 't', updated_at: 't' });
    assert.equal(serviceFromRow(row({})).accessRules, undefined, 'an existing row reads unchanged');
    assert.equal(serviceFromRow(row({ accessRules: 'ara-c' })).accessRules, 'ara-c');
  });
});

describe("provisioning with accessRules 'ara-c'", () => {
  let w: JobsWorld;
  before(async () => {
    w = await jobsWorld(12);
    const service: ServiceRecord = { ...w.service, accessRules: 'ara-c' };
    (w.deps as { service: ProvisioningDeps['service'] }).service = (id) => Promise.resolve(id === SERVICE_ID ? service : undefined);
  });
  after(async () => w.close());

  it('deploy: the ARA-M\'s GET DATA shows the wallet rule, held by the SSD\'s ARA-C; terminate: gone', async () => {
    const sp = w.cw.spCtx.tenant;
    const { instance, job } = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: 'se-0', card: cardOf(w, 0) }, { idempotencyKey: 'arac-deploy-0' });
    const done = await w.settle(job.id);
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    assert.equal(await walletRules(w, 0), 1, 'the device sees one wallet rule');
    // it is not the ARA-M's own rule: the ARA-C in the SP's SSD holds it, registered with the ARA-M
    assert.deepEqual(await isdView(w, 0), { own: 0, clients: [ARA_C_AID], araCs: [SSD_AID] });
    assert.equal((await w.provisioning.instance(sp, instance.instanceId)).state, 'active');

    const end = await w.provisioning.terminate(sp, instance.instanceId, { idempotencyKey: 'arac-terminate-0' });
    const ended = await w.settle(end.job.id);
    assert.equal(ended.state, 'succeeded', JSON.stringify(ended.error));
    assert.equal((await w.provisioning.instance(sp, instance.instanceId)).state, 'terminated');
    assert.equal(await walletRules(w, 0), 0, 'the rule is gone from the ARA-M\'s view');
  });

  it('a process killed at any point of the deploy ends with one rule, one ARA-C, one registration', async () => {
    const sp = w.cw.spCtx.tenant;
    const start = w.bearer.apdus;
    const probe = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: 'se-1', card: cardOf(w, 1) }, { idempotencyKey: 'arac-deploy-1' });
    assert.equal((await w.settle(probe.job.id)).state, 'succeeded');
    const total = w.bearer.apdus - start;
    const phones = w.cw.phones.length - 2;
    // the access-rule step (ARA-C install, extradition, F6/F7, the rule) is the last third of the
    // deploy's APDUs: spread the kills over it, a few APDUs apart
    const from = Math.floor(total * 0.62);
    const step = Math.max(1, Math.ceil((total - from) / phones));
    for (let k = 0; k < phones; k++) {
      const i = 2 + k;
      const killAt = from + k * step;
      w.bearer.killAfter(killAt, () => void w.engine.close({ abandon: true }));
      const { instance, job } = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: `se-${i}`, card: cardOf(w, i) }, { idempotencyKey: `arac-kill-${i}` });
      for (let n = 0; n < 400 && !(await killed(w)); n++) await new Promise((r) => setTimeout(r, 5));
      await w.restart();
      const ended = await w.settle(job.id);
      assert.equal(ended.state, 'succeeded', `killed after ${killAt} APDUs: ${JSON.stringify(ended.error)} at ${ended.step.name}`);
      assert.equal(await walletRules(w, i), 1, `one rule after a kill at APDU ${killAt}`);
      assert.deepEqual(await isdView(w, i), { own: 0, clients: [ARA_C_AID], araCs: [SSD_AID] }, `after a kill at APDU ${killAt}`);
      assert.equal((await w.provisioning.instance(sp, instance.instanceId)).state, 'active');
    }
  });
});

async function killed(w: JobsWorld): Promise<boolean> {
  try {
    await w.engine.submit({ tenant: 'probe', seId: 'none', kind: 'deploy' }, { idempotencyKey: `probe-${Math.random()}` });
    return false;
  } catch (e) {
    return e instanceof TsmError && e.code === 'ERR_TSM_STATE';
  }
}
