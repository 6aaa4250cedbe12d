import { fromHex } from '../../src/bytes/index.ts';
import { parseSpi, type OtaKeys, type Spi } from '../../src/ota/index.ts';

/** The inputs a vector names: SPI, KIc/KID bytes and key values, as hex. */
export interface VectorKeys {
  spi: string;
  kic: string;
  kid: string;
  kic_key: string;
  kid_key: string;
}

export function keysOf(i: VectorKeys): { keys: OtaKeys; spi: Spi; kic: number; kid: number } {
  return {
    keys: { kic: fromHex(i.kic_key), kid: fromHex(i.kid_key) },
    spi: parseSpi(fromHex(i.spi.slice(0, 4))),
    kic: parseInt(i.kic, 16),
    kid: parseInt(i.kid, 16),
  };
}
