/**
 * RelayTokens and the upgrade's Authorization header: tokens are HMACs under one operator M7 key,
 * bound to the SE id; malformed input is `false`/undefined, never an error; an HSM failure during
 * the check answers 503.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { attachRelay, OPERATOR_TENANT, parseRelayAuthorization, RELAY_KEY_LABEL, RelayHub, RelayTokens } from '../../../src/tsm/index.ts';
import { softwareHsm } from '../../hsm/software-setup.ts';
import { rawClient, upgradeStatus, withRelay } from './fixture.ts';

describe('RelayTokens', () => {
  it('issues one stable 43-character token per SE under one operator M7 key', async () => {
    const t = await softwareHsm();
    try {
      const tokens = new RelayTokens(t.hsm);
      assert.equal(await tokens.verify('se-1', 'A'.repeat(43)), false, 'no key yet: false, not an error');
      const a = await tokens.issue('se-1');
      assert.match(a, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(await tokens.issue('se-1'), a);
      assert.notEqual(await tokens.issue('se-2'), a);
      assert.equal(await new RelayTokens(t.hsm).verify('se-1', a), true, 'a second instance finds the same key');
      assert.equal(await tokens.verify('se-2', a), false);
      for (const bad of ['', 'A'.repeat(42), `${a}=`, a.replace(/.$/, '.'), 42 as unknown as string]) assert.equal(await tokens.verify('se-1', bad), false);
      const keys = await t.hsm.listKeys({ label: RELAY_KEY_LABEL }, { tenant: OPERATOR_TENANT, actor: 'test' });
      assert.equal(keys.length, 1);
      assert.equal(keys[0]!.attributes.usage, 'M7');
      assert.equal(keys[0]!.attributes.owner, OPERATOR_TENANT);
      await assert.rejects(tokens.issue('a b'), { code: 'ERR_TSM_REQUEST' });
      await assert.rejects(tokens.issue('x'.repeat(65)), { code: 'ERR_TSM_REQUEST' });
    } finally {
      t.hsm.close();
    }
  });

  it('parses Bearer <seId>.<token> only', () => {
    const token = 'b'.repeat(43);
    assert.deepEqual(parseRelayAuthorization(`Bearer se-1.${token}`), { seId: 'se-1', token });
    assert.deepEqual(parseRelayAuthorization(`bearer  a.b.c.${token} `), { seId: 'a.b.c', token });
    for (const bad of [undefined, '', 'Bearer', `Basic se-1.${token}`, `Bearer se-1${token}`, `Bearer .${token}`, `Bearer se-1.${token}x`, `Bearer se 1.${token}`, `Bearer ${'s'.repeat(65)}.${token}`, `Bearer se-1.${token}`.padEnd(300, ' ')]) {
      assert.equal(parseRelayAuthorization(bad), undefined, String(bad));
    }
  });

  it('answers 503 when the token check fails (HSM down), 401 when it says no', async () => {
    const hub = new RelayHub();
    const server = createServer();
    const verdicts: (() => Promise<boolean>)[] = [() => Promise.reject(new Error('HSM down')), () => Promise.resolve(false)];
    let call = 0;
    const attachment = attachRelay(server, hub, { tokens: { verify: () => verdicts[call++]!() } });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/v1/relay`;
    try {
      assert.equal(await upgradeStatus(rawClient(url, `Bearer se-1.${'A'.repeat(43)}`)), 503);
      assert.equal(await upgradeStatus(rawClient(url, `Bearer se-1.${'A'.repeat(43)}`)), 401);
    } finally {
      await hub.close();
      await attachment.close();
      server.close();
    }
  });

  it('RelayHub refuses nonsense options with ERR_TSM_CONFIG', () => {
    for (const bad of [{ batchTimeoutMs: 0 }, { pingIntervalMs: -1 }, { maxQueuedBatches: 1.5 }, { maxConnections: Number.NaN }]) {
      assert.throws(() => new RelayHub(bad), { code: 'ERR_TSM_CONFIG' });
    }
  });

  it('refuses a connection beyond maxConnections with 1013', () =>
    withRelay(async (f) => {
      const one = rawClient(f.url, `Bearer se-1.${await f.tokens.issue('se-1')}`);
      await once(one, 'open');
      const two = rawClient(f.url, `Bearer se-2.${await f.tokens.issue('se-2')}`);
      assert.equal(((await once(two, 'close')) as [number])[0], 1013);
      assert.equal(f.hub.size, 1);
      one.close();
    }, { maxConnections: 1 }));
});
