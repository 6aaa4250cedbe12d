/**
 * The EMV2000 tree session key derivation (EMV 4.1 Book 2 Annex A1.3, replaced by the common
 * session key in EMV SU-46 and later editions). LEGACY: kept because deployed cards still use it.
 */
import { readUintBe, wipe, xor } from '../bytes/index.ts';
import { tdesEcbEncrypt } from '../crypto/index.ts';
import { EmvError } from './errors.ts';
import { assertEmvBytes, assertEmvInt } from './assert.ts';
import { withOddParity } from './key-parity.ts';

/** The tree shape: branch factor b and height H with b^H ≥ 2^16 (every ATC has a leaf). */
export interface Emv2000TreeOptions {
  branchFactor: number;
  height: number;
  /** 16-byte initial value IV (the "grandparent" of the root); all zeros in most deployments. */
  iv: Uint8Array;
}

/** A1.3: F(X, Y, j) = DES3(X)[Y_L ⊕ j] ‖ DES3(X)[Y_R ⊕ j ⊕ F0], j = index mod b in the last byte. */
function f(x: Uint8Array, y: Uint8Array, j: number): Uint8Array {
  const block = y.slice();
  block[7]! ^= j;
  block[15]! ^= j ^ 0xf0;
  return tdesEcbEncrypt(x, block);
}

/**
 * EMV2000 tree session key (EMV 4.1 Book 2 A1.3): IK(0,0) = MK, IK(−1,0) = IV,
 * IK(i,j) = F(IK(i−1, j div b), IK(i−2, j div b²), j mod b); SK = IK(H, ATC) ⊕ IK(H−2, ATC div b²),
 * with odd parity. Walks the single root-to-leaf path, keeping the last three levels.
 */
export function deriveEmv2000TreeSessionKey(iccMk: Uint8Array, atc: Uint8Array, options: Emv2000TreeOptions): Uint8Array {
  assertEmvBytes(iccMk, [16], 'ICC master key', 'ERR_EMV_KEY');
  assertEmvBytes(atc, [2], 'ATC (9F36)');
  assertEmvBytes(options?.iv, [16], 'EMV2000 tree IV');
  const { branchFactor: b, height: h } = options;
  assertEmvInt(b, 2, 255, 'EMV2000 tree branch factor');
  assertEmvInt(h, 2, 16, 'EMV2000 tree height');
  if (b ** h < 0x10000) throw new EmvError('ERR_EMV_PARAM', `EMV2000 tree: branch factor ${b} and height ${h} give fewer than 2^16 leaves`);
  const n = readUintBe(atc);
  let grand = options.iv; // level i−2
  let parent = iccMk; // level i−1
  let older: Uint8Array = options.iv; // level i−3, kept to reach level H−2 at the end
  for (let i = 1; i <= h; i++) {
    const index = Math.floor(n / b ** (h - i));
    const node = f(parent, grand, index % b);
    if (older !== options.iv && older !== iccMk) wipe(older);
    older = grand;
    grand = parent;
    parent = node;
  }
  // After the loop: parent = IK(H, ATC), grand = IK(H−1, ·), older = IK(H−2, ATC div b²).
  const sk = withOddParity(xor(parent, older));
  for (const k of [parent, grand, older]) if (k !== options.iv && k !== iccMk) wipe(k);
  return sk;
}
