/**
 * `npm run bench`: the Foundation hot paths beside their floor — the bare node:crypto cipher work each
 * operation cannot avoid — measured in one run on this machine. The figure to read is the ratio.
 *
 * - AES-CMAC of 64 bytes (keyed, as a secure-channel session holds it): floor = one AES-CBC pass
 *   over 64 bytes.
 * - Retail MAC (ISO 9797-1 alg 3) of 64 bytes, keyed: floor = one DES-CBC pass over the 64 bytes
 *   (node has no single DES, so DES-EDE3 with K1=K2=K3, as the implementation must also use).
 * - One-shot forms of both, which also derive subkeys / set up the key each call.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { AesCmac, RetailMac, aesCmac, retailMac } from '../src/crypto/index.ts';
import { measurePair, report, type Pair } from './measure.ts';
import { scp03Pairs } from './scp03-wrap.ts';

function cbcFloor(name: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): () => unknown {
  return () => {
    const c = createCipheriv(name, key, iv);
    c.setAutoPadding(false);
    c.update(data);
    return c.final();
  };
}

const aesKey = new Uint8Array(randomBytes(16));
const desKey = new Uint8Array(randomBytes(16));
const msg64 = new Uint8Array(randomBytes(64));
const k1x3 = new Uint8Array([...desKey.subarray(0, 8), ...desKey.subarray(0, 8), ...desKey.subarray(0, 8)]);
const cmac = new AesCmac(aesKey);
const rmac = new RetailMac(desKey);

const pairs: Pair[] = [
  ...(await scp03Pairs()),
  {
    name: 'AES-CMAC 64 B (keyed)',
    op: () => cmac.mac(msg64, 16),
    floorName: 'AES-128-CBC over 64 B',
    floor: cbcFloor('aes-128-cbc', aesKey, new Uint8Array(16), msg64),
  },
  {
    name: 'AES-CMAC 64 B (one-shot)',
    op: () => aesCmac(aesKey, msg64, { length: 16 }),
    floorName: 'AES-128-CBC over 64 B',
    floor: cbcFloor('aes-128-cbc', aesKey, new Uint8Array(16), msg64),
  },
  {
    name: 'retail MAC 64 B (keyed)',
    op: () => rmac.mac(msg64, { padding: 1, length: 8 }),
    floorName: 'DES-CBC over 64 B',
    floor: cbcFloor('des-ede3-cbc', k1x3, new Uint8Array(8), msg64),
  },
  {
    name: 'retail MAC 64 B (one-shot)',
    op: () => retailMac(desKey, msg64, { padding: 1, length: 8 }),
    floorName: 'DES-CBC over 64 B',
    floor: cbcFloor('des-ede3-cbc', k1x3, new Uint8Array(8), msg64),
  },
];

const results = pairs.map((p, i) => {
  process.stderr.write(`[${i + 1}/${pairs.length}] ${p.name}…\n`);
  return measurePair(p);
});
report(`OpenTSM foundation benchmark (node ${process.version}, aim: each ratio ≤ 2×)`, results);
