/**
 * `npm run bench:ota` (and the third part of `npm run bench`): SCP80 secured packets (ETSI TS 102
 * 225) beside their floor, in one run — the figure to read is the ratio. Then a second table
 * (bench/ota-deploys.ts): complete deploys per second over SCP81, SMS-triggered, beside the same
 * deploys over the wallet relay, measured in the same run (`-- --deploys N --concurrency C`).
 * - build: the host seals 100 bytes of remote APDUs (SPI 16 39: CC, ciphered, counter must be higher,
 *   PoR always; AES KIc CBC, AES KID CMAC): floor = one AES-CMAC over the same bytes plus one AES-CBC
 *   pass over them, the crypto the packet cannot avoid;
 * - verify: the card unwraps it (decipher, CMAC check, counter check): same floor.
 * Keys are held as bytes here (the card's side); the TSM side will hold them in its HSM.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { aesCmac } from '../src/crypto/index.ts';
import { buildCommandPacket, parseSpi, unwrapCommandPacket } from '../src/ota/index.ts';
import { measurePair, report } from './measure.ts';
import { benchOtaDeploys, otaDeployArgs } from './ota-deploys.ts';

const keys = { kic: new Uint8Array(randomBytes(16)), kid: new Uint8Array(randomBytes(16)) };
const spi = parseSpi(Uint8Array.of(0x16, 0x39));
const data = new Uint8Array(randomBytes(100));
const fields = { spi, kic: 0x12, kid: 0x12, tar: Uint8Array.of(0xb0, 0x00, 0x00), counter: Uint8Array.of(0, 0, 0, 0, 1), data };
const packet = buildCommandPacket(keys, fields);
const stored = Uint8Array.of(0, 0, 0, 0, 0);

const floor = (): unknown => {
  const c = createCipheriv('aes-128-cbc', keys.kic, new Uint8Array(16));
  c.setAutoPadding(false);
  c.update(data.subarray(0, 96));
  c.final();
  return aesCmac(keys.kid, data, { length: 8 });
};

report('SCP80 secured packets (100 bytes of APDUs, AES CBC + CMAC)', [
  measurePair({ name: 'build a command packet (host)', op: () => buildCommandPacket(keys, fields), floorName: 'AES-CBC + AES-CMAC over the data', floor }),
  measurePair({ name: 'verify a command packet (card)', op: () => unwrapCommandPacket(keys, packet, { storedCounter: stored }), floorName: 'AES-CBC + AES-CMAC over the data', floor }),
]);

if (!(await benchOtaDeploys(otaDeployArgs(process.argv.slice(2))))) process.exitCode = 1;
