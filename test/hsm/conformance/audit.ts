/**
 * Conformance: one audit event per Hsm method call, `ok` / `refused` / `failed` with the error code,
 * keys named by id and KCV; and no clear key, PIN or PAN in any event or error message.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { OpenTsmError, fromHex, toHex } from '../../../src/bytes/index.ts';
import { tdesEcbEncrypt } from '../../../src/crypto/index.ts';
import { encodePinBlock } from '../../../src/emv/index.ts';
import { SPECS, importClear, withHsm, type HsmSetup } from './fixture.ts';

export function auditTests(setup: HsmSetup): void {
  it('records exactly one event per call, with the result, the code and the keys by id and KCV', () =>
    withHsm(setup, async (t) => {
      const mac = await t.hsm.generateKey({ ...SPECS.macRetail, length: 16, owner: t.ctx.tenant }, t.ctx);
      const before = t.auditEvents().length;
      await t.hsm.generateMac(mac.id, new Uint8Array(8), 'retail-mac', t.ctx);
      await t.hsm.generateMac(mac.id, new Uint8Array(8), 'cmac', t.ctx).catch(() => undefined);
      await t.hsm.getKey(mac.id, t.otherCtx).catch(() => undefined);
      await t.hsm.random(8, t.ctx);
      const events = t.auditEvents().slice(before);
      assert.deepEqual(events.map((e) => [e.operation, e.result, e.code ?? null]), [
        ['generateMac', 'ok', null],
        ['generateMac', 'refused', 'ERR_HSM_USAGE'],
        ['getKey', 'refused', 'ERR_HSM_TENANT'],
        ['random', 'ok', null],
      ]);
      assert.deepEqual(events[0]!.keys, [{ id: mac.id, kcv: mac.kcv }]);
      assert.deepEqual([events[0]!.tenant, events[0]!.actor, events[2]!.tenant], [t.ctx.tenant, t.ctx.actor, t.otherCtx.tenant]);
      assert.ok(events.every((e) => e.kind === 'hsm-audit' && !Number.isNaN(Date.parse(e.at))));
    }));

  it('no clear key, PIN or PAN appears in audit events or error messages', () =>
    withHsm(setup, async (t) => {
      const imk = fromHex('0123456789ABCDEFFEDCBA9876543210');
      const zpk = fromHex('C1D0F8FB4958670DBA40AB1F3752EF0D');
      const pan = '4761739001010119';
      const pin = '271828';
      const errors: string[] = [];
      const note = (e: unknown): void => {
        errors.push(e instanceof OpenTsmError ? `${e.message} ${String(e.cause)}` : String(e));
      };
      const imkH = await importClear(t, SPECS.imkAc, imk);
      const zpkH = await importClear(t, SPECS.pinT, zpk);
      const block = tdesEcbEncrypt(zpk, encodePinBlock(pin, { format: 0, pan }));
      await t.hsm.translatePinBlock({ key: zpkH.id, format: 0, block, pan }, { key: zpkH.id, format: 3, pan }, t.ctx);
      await t.hsm.translatePinBlock({ key: zpkH.id, format: 0, block, pan: '4761739001010127' }, { key: zpkH.id, format: 0, pan: '4761739001010127' }, t.ctx).catch(note);
      await t.hsm.translatePinBlock({ key: zpkH.id, format: 0, block, pan }, { key: zpkH.id, format: 1 }, t.ctx).catch(note);
      const request = { imk: imkH.id, profile: 'visa-18' as const, pan, psn: '00', atc: fromHex('0001'), data: new Uint8Array(40), arqc: new Uint8Array(8) };
      await t.hsm.verifyArqc(request, undefined, t.ctx);
      await t.hsm.verifyArqc({ ...request, pan: '12' }, undefined, t.ctx).catch(note);
      await t.hsm.verifyArqc({ ...request, imk: zpkH.id }, undefined, t.ctx).catch(note);
      await t.hsm.generateMac(imkH.id, new Uint8Array(8), 'retail-mac', t.ctx).catch(note);
      assert.ok(errors.length >= 5);
      const text = JSON.stringify(t.auditEvents()) + errors.join('\n');
      for (const secret of [toHex(imk), toHex(zpk), toHex(imk).toLowerCase(), toHex(zpk).toLowerCase(), pan, pin, toHex(encodePinBlock(pin, { format: 0, pan }))]) {
        assert.ok(!text.includes(secret), `found a secret in the audit trail or an error message`);
      }
    }));
}
