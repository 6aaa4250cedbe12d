/**
 * The class byte as the card reads it (ISO/IEC 7816-4:2020 §5.4.1; GPC 2.3.1 §11.1.4): which
 * logical channel, whether secure messaging is indicated, whether the GP proprietary class is used.
 */
export interface ClassByte {
  readonly channel: number;
  /** b8 = 1: proprietary (GP) class. */
  readonly proprietary: boolean;
  /** Secure messaging indicated (b4b3 ≠ 00 for channels 0–3, b6 for channels 4–19). */
  readonly secureMessaging: boolean;
  /** Command chaining bit b5 (ISO 7816-4 §5.3). */
  readonly chaining: boolean;
}

/**
 * Decodes CLA, or returns undefined for a class the card does not support (b8b7b6 = 001 is RFU,
 * FF is invalid): the card answers 6E00.
 */
export function decodeCla(cla: number): ClassByte | undefined {
  if (cla === 0xff || (cla & 0xe0) === 0x20) return undefined;
  const proprietary = (cla & 0x80) !== 0;
  if ((cla & 0x40) === 0) {
    // first interindustry coding: channel b2b1, SM b4b3, chaining b5
    return { channel: cla & 0x03, proprietary, secureMessaging: (cla & 0x0c) !== 0, chaining: (cla & 0x10) !== 0 };
  }
  // further interindustry coding: channel 4 + b4..b1, SM b6, chaining b5
  return { channel: 4 + (cla & 0x0f), proprietary, secureMessaging: (cla & 0x20) !== 0, chaining: (cla & 0x10) !== 0 };
}

/** CLA with the logical-channel bits set to `channel`, keeping the other bits of `cla` (channel 0–3 coding only). */
export function withChannel(cla: number, channel: number): number {
  if (channel < 4) return (cla & 0xbc) | channel;
  return (cla & 0x80) | 0x40 | ((cla & 0x0c) !== 0 ? 0x20 : 0) | (cla & 0x10) | (channel - 4);
}
