/**
 * One Secure Element slot of the phone as the platform sees it (AOSP's `Terminal` below the
 * SecureElementService): raw APDUs in and out, no access control. The Open Mobile API (omapi/) and
 * the access-control enforcer (access-control/) both sit on it; apps never see it.
 */
import { SeError, decodeCla, withChannel, type VirtualSecureElement } from '../se/index.ts';
import { DeviceError } from './errors.ts';

export interface SeTerminal {
  /** The OMAPI reader name: `SIM1`…, `eSE1`…, `SD1`… (SIMalliance OMAPI v3 §6.4). */
  readonly name: string;
  isPresent(): boolean;
  /** The Answer To Reset, when the SE gives one. */
  atr(): Uint8Array | undefined;
  /** One command APDU (its CLA names the channel) → the whole response with SW1SW2. Throws ERR_DEVICE_TRANSPORT when the SE cannot be reached. */
  transmit(command: Uint8Array): Promise<Uint8Array>;
}

/** A terminal on a virtual SE of this phone (its contact/internal interface). */
export function virtualSeTerminal(name: string, se: VirtualSecureElement, options: { present?: () => boolean } = {}): SeTerminal {
  const present = options.present ?? ((): boolean => true);
  return {
    name,
    isPresent: present,
    // The profile's ATR, without a reset: a reset would close the channels others (the TSM's relay) have open.
    atr: () => Uint8Array.from(se.profile.atr),
    transmit: (command) => {
      if (!present()) return Promise.reject(new DeviceError('ERR_DEVICE_TRANSPORT', `${name}: the Secure Element is not present`));
      try {
        return Promise.resolve(se.process(command));
      } catch (e) {
        return Promise.reject(new DeviceError('ERR_DEVICE_TRANSPORT', `${name}: ${e instanceof SeError ? e.message : 'the Secure Element failed'}`, { cause: e }));
      }
    },
  };
}

/** The CLA byte `cla` moved to logical channel `channel` (ISO/IEC 7816-4 §5.4.1; channels 0–19). */
export function claOnChannel(cla: number, channel: number): number {
  return withChannel(cla, channel);
}

/** The logical channel a command's CLA names, or undefined for a class byte ISO 7816-4 does not define. */
export function channelOfCla(cla: number): number | undefined {
  return decodeCla(cla)?.channel;
}
