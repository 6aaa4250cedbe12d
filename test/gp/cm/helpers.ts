import { zipSync } from 'fflate';
import { GpError, type GpErrorCode } from '../../../src/gp/index.ts';

/** An assert.throws predicate: a GpError with `code` and, when given, status word `sw`. */
export function gpError(code: GpErrorCode, sw?: number): (e: unknown) => boolean {
  return (e: unknown) => {
    if (!(e instanceof GpError)) throw new Error(`expected GpError ${code}, got ${String(e)}`, { cause: e });
    if (e.code !== code) throw new Error(`expected ${code}, got ${e.code}: ${e.message}`, { cause: e });
    if (sw !== undefined && e.sw !== sw) throw new Error(`expected SW ${sw.toString(16)}, got ${e.sw?.toString(16)}: ${e.message}`, { cause: e });
    return true;
  };
}

/** CAP component file names by tag (Java Card VM Specification §6.1, Table 6-1). */
export const COMPONENT_NAMES: Readonly<Record<number, string>> = {
  1: 'Header',
  2: 'Directory',
  3: 'Applet',
  4: 'Import',
  5: 'ConstantPool',
  6: 'Class',
  7: 'Method',
  8: 'StaticField',
  9: 'RefLocation',
  10: 'Export',
  11: 'Descriptor',
  12: 'Debug',
};

/** Splits concatenated components (tag(1) size(2) info) back into name → bytes. */
export function splitComponents(code: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (let i = 0; i < code.length; ) {
    const size = (code[i + 1]! << 8) | code[i + 2]!;
    out.set(COMPONENT_NAMES[code[i]!]!, code.slice(i, i + 3 + size));
    i += 3 + size;
  }
  return out;
}

/** Zips components as a CAP: `<dir>/javacard/<Name>.cap`, plus a manifest, deflated. */
export function zipCap(components: ReadonlyMap<string, Uint8Array>, dir = 'pro/javacard/empty', extra: Record<string, Uint8Array> = {}): Uint8Array {
  const files: Record<string, Uint8Array> = { 'META-INF/MANIFEST.MF': new TextEncoder().encode('Manifest-Version: 1.0\n'), ...extra };
  for (const [name, bytes] of components) files[`${dir}/javacard/${name}.cap`] = bytes;
  return zipSync(files, { level: 6 });
}
