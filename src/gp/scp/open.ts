/** One entry point for either protocol, chosen by the key holder (which fixes SCP02 or SCP03). */
import type { ApduTransport } from '../../apdu/index.ts';
import { GpError } from '../errors.ts';
import type { SecureChannelSession } from './host-session.ts';
import { openScp02, type Scp02OpenOptions } from './scp02-host.ts';
import type { Scp02HostKeys } from './scp02-keys.ts';
import { openScp03, type Scp03OpenOptions } from './scp03-host.ts';
import type { Scp03HostKeys } from './scp03-keys.ts';

/** Host keys of either protocol. */
export type ScpHostKeys = Scp02HostKeys | Scp03HostKeys;

/** Options for {@link openSecureChannel}: SCP03's, plus SCP02's "i" when the keys are SCP02 keys. */
export type SecureChannelOptions = Scp03OpenOptions & { i?: number };

/**
 * Opens SCP02 or SCP03 as `keys.scp` says; the card's INITIALIZE UPDATE response must name the same
 * protocol (`ERR_GP_UNSUPPORTED` otherwise). SCP02 needs `options.i` (GPC 2.3.1 Table E-8 does not
 * return it).
 */
export async function openSecureChannel(transport: ApduTransport, keys: ScpHostKeys, options: SecureChannelOptions): Promise<SecureChannelSession> {
  if (typeof keys !== 'object' || keys === null) throw new GpError('ERR_GP_KEY', 'openSecureChannel: keys are required');
  if (keys.scp === 3) return openScp03(transport, keys, options);
  if (keys.scp === 2) {
    if (options.i === undefined) throw new GpError('ERR_GP_PARAM', 'openSecureChannel: SCP02 needs the card\'s "i" parameter');
    if (options.s16 === true) throw new GpError('ERR_GP_PARAM', 'openSecureChannel: S16 is an SCP03 mode');
    const scp02Options: Scp02OpenOptions = { ...options, i: options.i };
    return openScp02(transport, keys, scp02Options);
  }
  throw new GpError('ERR_GP_UNSUPPORTED', `openSecureChannel: unsupported SCP ${String((keys as { scp: unknown }).scp)}`);
}
