/**
 * What a generateMac / verifyMac caller asked for, checked once for both backends: the MAC
 * algorithm (its usage code in MAC_USAGE) and, for the DES MACs, the ISO 9797-1:2011 §6.3 padding
 * method — method 2 when a bare MacAlgorithm is given (the interface's fixed parameter), method 1
 * only when named (MacParameters). CMAC and HMAC take no padding: naming one is ERR_HSM_PARAM.
 */
import type { PaddingMethod } from '../../crypto/index.ts';
import { HsmError } from '../errors.ts';
import type { MacAlgorithm, MacPadding } from '../hsm.ts';
import { MAC_USAGE } from '../usage-policy.ts';

/** A checked MAC request: `padding` is set exactly for the DES MACs. */
export interface ResolvedMac {
  readonly algorithm: MacAlgorithm;
  readonly padding?: PaddingMethod;
}

const PADDINGS: Readonly<Record<MacPadding, PaddingMethod>> = { 'iso9797-m1': 1, 'iso9797-m2': 2 };

/** The MACs that take an ISO 9797-1 padding method, and the one a bare algorithm name runs with. */
const DES_MAC_DEFAULT_PADDING: Readonly<Partial<Record<MacAlgorithm, PaddingMethod>>> = { 'iso9797-1-alg1': 2, 'retail-mac': 2 };

function isAlgorithm(value: unknown): value is MacAlgorithm {
  return typeof value === 'string' && Object.hasOwn(MAC_USAGE, value);
}

/** Checks `mechanism` (a MacAlgorithm or MacParameters, from any caller) and names its padding. */
export function resolveMac(mechanism: unknown): ResolvedMac {
  if (isAlgorithm(mechanism)) {
    const padding = DES_MAC_DEFAULT_PADDING[mechanism];
    return padding === undefined ? { algorithm: mechanism } : { algorithm: mechanism, padding };
  }
  if (typeof mechanism !== 'object' || mechanism === null) throw new HsmError('ERR_HSM_PARAM', 'MAC algorithm: iso9797-1-alg1, retail-mac, cmac or hmac-sha256, or { algorithm, padding } for a DES MAC');
  const { algorithm, padding } = mechanism as { algorithm?: unknown; padding?: unknown };
  if (!isAlgorithm(algorithm)) throw new HsmError('ERR_HSM_PARAM', 'MAC algorithm: iso9797-1-alg1, retail-mac, cmac or hmac-sha256');
  if (DES_MAC_DEFAULT_PADDING[algorithm] === undefined) throw new HsmError('ERR_HSM_PARAM', `${algorithm} takes no padding method (only the DES MACs do)`);
  if (typeof padding !== 'string' || !Object.hasOwn(PADDINGS, padding)) throw new HsmError('ERR_HSM_PARAM', "MAC padding: 'iso9797-m1' or 'iso9797-m2'");
  return { algorithm, padding: PADDINGS[padding as MacPadding] };
}

/** The padding of a DES MAC request (resolveMac sets it for every DES MAC). */
export function desMacPadding(mac: ResolvedMac): PaddingMethod {
  if (mac.padding === undefined) throw new HsmError('ERR_HSM_PARAM', `${mac.algorithm}: no padding method`);
  return mac.padding;
}
