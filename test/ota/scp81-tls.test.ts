/**
 * SCP81's TLS-PSK layer on loopback: a handshake with each cipher suite at TLS 1.2; a wrong PSK and
 * an unknown identity fail the handshake on both sides with ERR_OTA_TLS; no TLS 1.3 and no session
 * resumption; the PSK store hands keys out while they live and zeroes them when forgotten.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { inspect } from 'node:util';
import { toHex } from '../../src/bytes/index.ts';
import {
  connectPsk,
  createPskServer,
  MemoryPskStore,
  OtaError,
  pskClientOptions,
  SCP81_CIPHERS,
  type Scp81Cipher,
} from '../../src/ota/index.ts';
import { IDENTITY, KEY, OTHER_KEY, until } from './scp81-helpers.ts';

interface Harness {
  port: number;
  secured: string[];
  errors: { error: OtaError; identity: string | undefined }[];
  close(): Promise<void>;
}

async function pskServer(ciphers?: readonly Scp81Cipher[]): Promise<Harness> {
  const store = new MemoryPskStore();
  store.put(IDENTITY, KEY, 60_000);
  const secured: string[] = [];
  const errors: Harness['errors'] = [];
  const { server } = createPskServer(
    { psk: store, identityHint: 'opentsm-scp81', ciphers, onError: (error, identity) => errors.push({ error, identity }) },
    (socket, identity) => {
      secured.push(`${identity} ${socket.getCipher().name} ${socket.getProtocol()}`);
      socket.end('hello');
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    secured,
    errors,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const isTls = (e: unknown): boolean => e instanceof OtaError && e.code === 'ERR_OTA_TLS' && e.message === 'SCP81 TLS-PSK handshake failed';
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

describe('SCP81 TLS-PSK', () => {
  for (const cipher of SCP81_CIPHERS) {
    it(`handshakes with ${cipher} at TLS 1.2`, async () => {
      const h = await pskServer([cipher]);
      try {
        const socket = await connectPsk({ host: '127.0.0.1', port: h.port, identity: IDENTITY, psk: KEY, ciphers: [cipher] });
        assert.equal(socket.getCipher().name, cipher);
        assert.equal(socket.getProtocol(), 'TLSv1.2');
        const text = await new Promise<string>((r) => socket.on('data', (d: Buffer) => r(d.toString())));
        assert.equal(text, 'hello');
        socket.destroy();
        await until(() => h.secured.length > 0);
        assert.deepEqual(h.secured, [`${IDENTITY} ${cipher} TLSv1.2`]);
      } finally {
        await h.close();
      }
    });
  }

  it('prefers GCM when the client offers both', async () => {
    const h = await pskServer();
    try {
      const socket = await connectPsk({ host: '127.0.0.1', port: h.port, identity: IDENTITY, psk: KEY });
      assert.equal(socket.getCipher().name, 'PSK-AES128-GCM-SHA256');
      socket.destroy();
    } finally {
      await h.close();
    }
  });

  it('a wrong PSK fails the handshake on both sides with ERR_OTA_TLS', async () => {
    const h = await pskServer();
    try {
      await assert.rejects(connectPsk({ host: '127.0.0.1', port: h.port, identity: IDENTITY, psk: OTHER_KEY }), isTls);
      await until(() => h.errors.length > 0);
      await settle();
      assert.deepEqual(h.secured, []);
      assert.equal(h.errors.length, 1);
      assert.ok(isTls(h.errors[0]!.error));
      assert.equal(h.errors[0]!.identity, IDENTITY);
    } finally {
      await h.close();
    }
  });

  it('an unknown identity fails the handshake on both sides with the same client-side error', async () => {
    const h = await pskServer();
    try {
      await assert.rejects(connectPsk({ host: '127.0.0.1', port: h.port, identity: 'scp81-se-9999', psk: KEY }), isTls);
      await until(() => h.errors.length > 0);
      await settle();
      assert.deepEqual(h.secured, []);
      assert.equal(h.errors[0]?.identity, 'scp81-se-9999');
      assert.ok(isTls(h.errors[0]?.error));
    } finally {
      await h.close();
    }
  });

  it('refuses a client that insists on TLS 1.3 or on non-PSK suites', async () => {
    const h = await pskServer();
    try {
      for (const extra of [{ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }] as const) {
        const outcome = await new Promise<string>((resolve) => {
          const s = tls.connect({ ...pskClientOptions({ identity: IDENTITY, psk: KEY }), ...extra, host: '127.0.0.1', port: h.port });
          s.once('secureConnect', () => (s.destroy(), resolve('connected')));
          s.once('error', () => resolve('refused'));
        });
        assert.equal(outcome, 'refused', JSON.stringify(extra));
      }
      await settle();
      assert.deepEqual(h.secured, []);
    } finally {
      await h.close();
    }
  });

  it('does not resume a TLS session: every connection runs a full handshake', async () => {
    const h = await pskServer();
    try {
      const first = await connectPsk({ host: '127.0.0.1', port: h.port, identity: IDENTITY, psk: KEY });
      await new Promise((r) => first.on('data', r));
      const session = first.getSession();
      first.destroy();
      const second = await new Promise<tls.TLSSocket>((resolve, reject) => {
        const s = tls.connect({ ...pskClientOptions({ identity: IDENTITY, psk: KEY }), ...(session ? { session } : {}), host: '127.0.0.1', port: h.port });
        s.once('secureConnect', () => resolve(s));
        s.once('error', reject);
      });
      assert.equal(second.isSessionReused(), false);
      second.destroy();
    } finally {
      await h.close();
    }
  });

  it('refuses bad client configurations before connecting', () => {
    const bad = [
      { identity: '', psk: KEY },
      { identity: 'x'.repeat(129), psk: KEY },
      { identity: 'line\nbreak', psk: KEY },
      { identity: IDENTITY, psk: KEY.subarray(0, 15) },
      { identity: IDENTITY, psk: KEY, ciphers: [] },
      { identity: IDENTITY, psk: KEY, ciphers: ['PSK-3DES-EDE-CBC-SHA' as Scp81Cipher] },
    ];
    for (const config of bad) {
      assert.throws(() => pskClientOptions(config), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_PARAM', JSON.stringify(config));
    }
  });
});

describe('MemoryPskStore', () => {
  it('holds a copy, forgets by zeroing, and never prints a key', () => {
    const store = new MemoryPskStore();
    const mine = KEY.slice();
    store.put(IDENTITY, mine, 1000);
    mine.fill(0); // the caller wiping its own copy leaves the store's intact
    const held = store.get(IDENTITY)!;
    assert.equal(toHex(held), toHex(KEY));
    assert.equal(store.get('other'), undefined);
    assert.equal(`${String(store)} ${inspect(store)}`.includes(toHex(KEY)), false);
    assert.equal(store.forget(IDENTITY), true);
    assert.equal(toHex(held), '00'.repeat(16));
    assert.equal(store.get(IDENTITY), undefined);
    assert.equal(store.forget(IDENTITY), false);
  });

  it('expires keys and wipes them on lookup, sweep or wipe', () => {
    let now = 1000;
    const store = new MemoryPskStore({ now: () => now });
    store.put('a', KEY, 50);
    store.put('b', OTHER_KEY, 500);
    store.put('c', KEY, 500);
    const a = store.get('a')!;
    const b = store.get('b')!;
    now = 1050;
    assert.equal(store.get('a'), undefined);
    assert.equal(toHex(a), '00'.repeat(16));
    now = 1500;
    store.sweep();
    assert.equal(store.size, 0);
    assert.equal(toHex(b), '00'.repeat(16));
    store.put('d', KEY, 10);
    const d = store.get('d')!;
    store.wipe();
    assert.equal(store.size, 0);
    assert.equal(toHex(d), '00'.repeat(16));
  });

  it('replacing a key wipes the old one', () => {
    const store = new MemoryPskStore();
    store.put(IDENTITY, KEY, 1000);
    const old = store.get(IDENTITY)!;
    store.put(IDENTITY, OTHER_KEY, 1000);
    assert.equal(toHex(old), '00'.repeat(16));
    assert.equal(toHex(store.get(IDENTITY)!), toHex(OTHER_KEY));
  });

  it('refuses bad arguments with ERR_OTA_PARAM', () => {
    const store = new MemoryPskStore();
    const bad: [string, Uint8Array, number][] = [
      ['', KEY, 10],
      [IDENTITY, KEY.subarray(0, 8), 10],
      [IDENTITY, KEY, 0],
      [IDENTITY, KEY, 2 * 60 * 60 * 1000],
      [IDENTITY, KEY, 1.5],
    ];
    for (const [identity, key, ttl] of bad) {
      assert.throws(() => store.put(identity, key, ttl), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_PARAM');
    }
    assert.equal(store.size, 0);
  });
});
