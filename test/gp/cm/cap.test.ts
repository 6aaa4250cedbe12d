/**
 * CAP → Load File Data Block (gp.md §4.14): component selection and order, and hostile zips
 * (missing Header, bad sizes, zip bombs, several packages) ending in ERR_GP_CAP.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync } from 'fflate';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { CAP_LOAD_ORDER, lfdbHash, parseCapFile } from '../../../src/gp/index.ts';
import { loadVectors } from '../../helpers/vectors.ts';
import { gpError, splitComponents, zipCap } from './helpers.ts';

const vector = loadVectors<{ vectors: { id: string; code_hex: string; lfdb_sha256: string }[] }>('gp/misc.json').vectors.find((v) => v.id === 'gppro-cap-lfdb')!;
const components = (): Map<string, Uint8Array> => splitComponents(fromHex(vector.code_hex));
const CAP = gpError('ERR_GP_CAP');

/** A component of `size` zero bytes of info with its tag and size header. */
const component = (tag: number, size: number): Uint8Array => {
  const out = new Uint8Array(3 + size);
  out[0] = tag;
  out[1] = size >> 8;
  out[2] = size & 0xff;
  return out;
};

describe('CAP → LFDB', () => {
  it('orders components Header, Directory, Import, Applet, Class, Method, StaticField, Export, ConstantPool, RefLocation', () => {
    assert.deepEqual(CAP_LOAD_ORDER.map(([n]) => n), ['Header', 'Directory', 'Import', 'Applet', 'Class', 'Method', 'StaticField', 'Export', 'ConstantPool', 'RefLocation']);
    // zip order must not matter: reverse the insertion order
    const reversed = new Map([...components()].reverse());
    assert.equal(toHex(parseCapFile(zipCap(reversed)).loadFileDataBlock), vector.code_hex);
  });
  it('skips Descriptor and Debug, works with stored (uncompressed) entries and no package directory', () => {
    const c = components();
    c.set('Debug', component(12, 4));
    const files: Record<string, [Uint8Array, { level: 0 }]> = {};
    for (const [name, bytes] of c) files[`javacard/${name}.cap`] = [bytes, { level: 0 }];
    const cap = parseCapFile(zipSync(files));
    assert.equal(toHex(cap.lfdbSha256), vector.lfdb_sha256);
    assert.ok(cap.components.has('Debug'));
  });
  it('includes an Export component between StaticField and ConstantPool', () => {
    const c = components();
    c.set('Export', component(10, 2));
    const lfdb = toHex(parseCapFile(zipCap(c)).loadFileDataBlock);
    const order = ['Header', 'Directory', 'Import', 'Applet', 'Class', 'Method', 'StaticField', 'Export', 'ConstantPool', 'RefLocation'];
    assert.equal(lfdb, order.map((n) => toHex(c.get(n)!)).join(''));
  });
  it('lfdbHash offers the Table C-3 algorithms', () => {
    assert.equal(toHex(lfdbHash(fromHex(vector.code_hex), 'sha256')), vector.lfdb_sha256);
    assert.equal(lfdbHash(new Uint8Array(0), 'sha384').length, 48);
    assert.equal(lfdbHash(new Uint8Array(0), 'sha512').length, 64);
  });
});

describe('hostile CAP files → ERR_GP_CAP', () => {
  it('not a zip, or an empty zip', () => {
    assert.throws(() => parseCapFile(new Uint8Array(10)), CAP);
    assert.throws(() => parseCapFile(new Uint8Array(100)), CAP);
    assert.throws(() => parseCapFile(zipSync({})), CAP);
  });
  it('no Header component', () => {
    const c = components();
    c.delete('Header');
    assert.throws(() => parseCapFile(zipCap(c)), CAP);
  });
  it('a size field that disagrees with the component, or a wrong tag', () => {
    const c = components();
    const method = c.get('Method')!.slice();
    method[2] = method[2]! + 1;
    c.set('Method', method);
    assert.throws(() => parseCapFile(zipCap(c)), CAP);
    const d = components();
    d.set('Class', component(7, 4));
    assert.throws(() => parseCapFile(zipCap(d)), CAP);
  });
  it('a bad magic or a package AID of 3 bytes', () => {
    const c = components();
    c.set('Header', fromHex('01000FCAFEBABE0102040000050102030405'));
    assert.throws(() => parseCapFile(zipCap(c)), CAP);
    c.set('Header', fromHex('01000DDECAFFED010204000003010203'));
    assert.throws(() => parseCapFile(zipCap(c)), CAP);
  });
  it('components of two packages, or a Java Card 3.1 component we do not handle', () => {
    const c = components();
    const files = { ...Object.fromEntries([...c].map(([n, b]) => [`a/javacard/${n}.cap`, b])), 'b/javacard/Header.cap': c.get('Header')! };
    assert.throws(() => parseCapFile(zipSync(files)), CAP);
    assert.throws(() => parseCapFile(zipCap(c, 'p', { 'p/javacard/StaticResources.cap': component(13, 1) })), CAP);
  });
  it('a component larger than 65538 bytes, or more than maxSize in total', () => {
    const c = components();
    c.set('Debug', new Uint8Array(70_000));
    assert.throws(() => parseCapFile(zipCap(c)), CAP);
    assert.throws(() => parseCapFile(zipCap(components()), { maxSize: 150 }), CAP);
  });
  it('a zip bomb whose directory understates the inflated size', () => {
    const c = components();
    c.set('Method', component(7, 60_000));
    const zip = zipCap(c, 'p');
    // rewrite the uncompressed size of p/javacard/Method.cap in the local and central headers to 100
    const name = new TextEncoder().encode('p/javacard/Method.cap');
    const patched = zip.slice();
    for (let i = 0; i + name.length < patched.length; i++) {
      if (patched[i] === 0x50 && patched[i + 1] === 0x4b && (patched[i + 2] === 3 || patched[i + 2] === 1)) {
        const local = patched[i + 2] === 3;
        const nameAt = i + (local ? 30 : 46);
        if (name.every((b, j) => patched[nameAt + j] === b)) patched.set([100, 0, 0, 0], i + (local ? 22 : 24));
      }
    }
    assert.throws(() => parseCapFile(patched), CAP);
  });
  it('a zip with thousands of entries is refused before inflating anything', () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 1100; i++) files[`junk/${i}`] = new Uint8Array(0);
    assert.throws(() => parseCapFile(zipSync(files)), CAP);
  });
});
