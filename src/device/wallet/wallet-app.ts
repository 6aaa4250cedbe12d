/**
 * The SP's wallet app on the phone (docs/wallet.md): with its own signing identity it reaches its
 * payment applet through the Open Mobile API (SIMalliance OMAPI v3: SEService → Reader → Session →
 * logical Channel), shows the card's state, ATC (GET DATA 9F36) and last transactions (the card's
 * log: 9F4D in the FCI, 9F4F, READ RECORD — EMV Book 3 Annex A), and runs change-PIN with a PIN entry
 * it never sees inside of (the TEE's trusted UI) and a link to the issuer that queues the PIN CHANGE
 * script. Every OMAPI outcome maps to one state: a security error is 'no-access', a missing applet
 * 'suspended' (a locked one answers SELECT 6A82, GPC 2.3.1 §11.1.2) or 'not-installed', SELECT 6283
 * 'blocked' (EMV Book 1 §12.4).
 */
import { commandApdu, encodeCommand, parseResponse, type CommandApduFields, type ResponseApdu } from '../../apdu/index.ts';
import { parseDol, splitDolData, type DolEntry } from '../../emv/index.ts';
import { findTlv, parseTlv, parseTlvList, type Tlv } from '../../tlv/index.ts';
import { DeviceError } from '../errors.ts';
import type { SigningIdentity } from './signing-identity.ts';

/** What the wallet uses of an OMAPI Channel (src/device/omapi/channel.ts). */
export interface WalletChannel {
  transmit(command: Uint8Array): Promise<Uint8Array> | Uint8Array;
  /** The SELECT response, data ‖ SW. */
  getSelectResponse(): Uint8Array | null | undefined;
  close(): Promise<void> | void;
}

/** What the wallet uses of an OMAPI Session. */
export interface WalletSession {
  openLogicalChannel(aid?: Uint8Array, p2?: number): Promise<WalletChannel | null> | WalletChannel | null;
  close(): Promise<void> | void;
}

/** What the wallet uses of an OMAPI Reader. */
export interface WalletReader {
  getName(): string;
  isSecureElementPresent(): boolean;
  openSession(): Promise<WalletSession> | WalletSession;
}

/** What the wallet uses of the OMAPI SEService (connected with the wallet's {@link SigningIdentity.deviceApp}). */
export interface WalletSeService {
  getReaders(): readonly WalletReader[];
}

/** An ISO 9564-1 format 4 PIN block, encrypted under the issuer's PIN key (what the TEE gives the wallet). */
export interface EncryptedPin {
  /** The issuer's PIN encryption key (usage P0): its key id or label at the issuer. */
  readonly pinKey: string;
  readonly format: 4;
  readonly block: Uint8Array;
}

/** Where the wallet gets the new PIN, encrypted: the TEE's trusted UI (src/device/tee TeePinPad). */
export interface PinEntry {
  encryptedPinBlock(pan: string): Promise<EncryptedPin>;
}

/** The wallet's way to its issuer: queue the PIN CHANGE script (the TSM's `POST /v1/issuer/cards/:cardId/scripts`, kind pin-change). */
export interface IssuerLink {
  queuePinChange(cardId: string, pin: EncryptedPin): Promise<unknown>;
}

/** What the wallet shows of its card (docs/wallet.md §2). */
export type WalletCardState = 'active' | 'suspended' | 'blocked' | 'no-access' | 'not-installed';

/** The cryptogram a transaction ended in (CID 9F27 b8b7; EMV Book 3 §6.5.5.4). */
export type CryptogramKind = 'AAC' | 'TC' | 'ARQC' | 'RFU';

/** One record of the card's transaction log, as far as its Log Format gives each element. */
export interface WalletTransaction {
  readonly atc?: number;
  /** Amount, authorised (9F02), in minor units of `currency`. */
  readonly amount?: number;
  /** ISO 4217 numeric currency code (5F2A), e.g. '978'. */
  readonly currency?: string;
  /** Transaction date (9A), YYYY-MM-DD. */
  readonly date?: string;
  /** Transaction type (9C, ISO 8583:1987 processing code, first two digits), e.g. 0 goods and services. */
  readonly type?: number;
  readonly cryptogram?: CryptogramKind;
}

export interface CardView {
  readonly state: WalletCardState;
  /** The ATC (GET DATA 9F36), when the applet could be read. */
  readonly atc?: number;
  /** Newest first. */
  readonly lastTransactions: readonly WalletTransaction[];
}

export interface WalletAppOptions {
  readonly identity: SigningIdentity;
  /** The OMAPI service, connected for this app (its `app` = `identity.deviceApp()`). */
  readonly seService: WalletSeService;
  /** The payment applet instance the SP deployed. */
  readonly paymentAid: Uint8Array;
  readonly pinPad?: PinEntry;
  readonly issuerLink?: IssuerLink;
  /** The issuer's id of the card (for change-PIN). */
  readonly cardId?: string;
  /** The reader to use (e.g. `eSE1`); default the first with its SE present. */
  readonly readerName?: string;
  /** The wallet was told the instance exists (the SP's backend): a missing applet then reads 'suspended'. */
  readonly deployed?: boolean;
  /** Most log records read; default 10. */
  readonly maxTransactions?: number;
}

const SW_OK = 0x9000;
const SW_BLOCKED = 0x6283;
const SW_RECORD_NOT_FOUND = 0x6a83;
const SW_DATA_NOT_FOUND = 0x6a88;
/** Book 3 Annex A: 9F4D is SFI ‖ records; the log SFI is 11..30 (Annex D4 [M]). */
const LOG_SFI = { min: 11, max: 30 } as const;

const isDeviceError = (e: unknown, code: DeviceError['code']): e is DeviceError => e instanceof DeviceError && e.code === code;

/**
 * The wallet app model.
 * @example const view = await new WalletApp({ identity, seService, paymentAid }).cardView()
 */
export class WalletApp {
  readonly identity: SigningIdentity;
  readonly paymentAid: Uint8Array;
  readonly #options: WalletAppOptions;
  #deployed: boolean;

  constructor(options: WalletAppOptions) {
    if (!(options.paymentAid instanceof Uint8Array) || options.paymentAid.length < 5 || options.paymentAid.length > 16) {
      throw new DeviceError('ERR_DEVICE_PARAM', 'wallet: paymentAid must be 5..16 bytes');
    }
    const max = options.maxTransactions;
    if (max !== undefined && (!Number.isInteger(max) || max < 0 || max > 255)) throw new DeviceError('ERR_DEVICE_PARAM', 'wallet: maxTransactions must be 0..255');
    this.identity = options.identity;
    this.paymentAid = options.paymentAid.slice();
    this.#options = options;
    this.#deployed = options.deployed ?? false;
  }

  /** Whether the wallet knows its applet was deployed (it read it once, or was told). */
  get knowsDeployed(): boolean {
    return this.#deployed;
  }

  /** The SP's backend tells the wallet its instance exists (or no longer does). */
  markDeployed(deployed = true): void {
    this.#deployed = deployed;
  }

  /**
   * Reads the card through OMAPI: its state, ATC and log (docs/wallet.md §2 for how each state is
   * derived). Errors other than the mapped OMAPI kinds (I/O, a malformed answer) are thrown.
   */
  async cardView(): Promise<CardView> {
    const session = await this.#session();
    try {
      let channel: WalletChannel | null;
      try {
        channel = await session.openLogicalChannel(this.paymentAid, 0x00);
      } catch (e) {
        return this.#refused(e);
      }
      if (channel === null) throw new DeviceError('ERR_DEVICE_ILLEGAL_STATE', 'wallet: the Secure Element has no free logical channel');
      try {
        return await this.#read(channel);
      } catch (e) {
        return this.#refused(e);
      } finally {
        await channel.close();
      }
    } finally {
      await session.close();
    }
  }

  /**
   * Change-PIN (docs/wallet.md §3): the PIN entry (the TEE) gives the new PIN as a format 4 block under
   * the issuer's PIN key; the wallet forwards it to the issuer, which queues the PIN CHANGE script for
   * the card's next online transaction. The wallet holds only the encrypted block.
   */
  async changePin(pan: string, cardId: string | undefined = this.#options.cardId): Promise<unknown> {
    const { pinPad, issuerLink } = this.#options;
    if (pinPad === undefined || issuerLink === undefined) throw new DeviceError('ERR_DEVICE_ILLEGAL_STATE', 'wallet: change-PIN needs a PIN entry and an issuer link');
    if (cardId === undefined || cardId.length === 0) throw new DeviceError('ERR_DEVICE_PARAM', 'wallet: change-PIN needs the card id');
    const pin = await pinPad.encryptedPinBlock(pan);
    if (pin.format !== 4 || !(pin.block instanceof Uint8Array) || pin.block.length !== 16) throw new DeviceError('ERR_DEVICE_PARAM', 'wallet: the PIN entry must give a 16-byte format 4 block');
    return issuerLink.queuePinChange(cardId, pin);
  }

  async #session(): Promise<WalletSession> {
    const readers = this.#options.seService.getReaders();
    const name = this.#options.readerName;
    const reader = readers.find((r) => (name === undefined ? r.isSecureElementPresent() : r.getName() === name));
    if (reader === undefined) throw new DeviceError('ERR_DEVICE_TRANSPORT', name === undefined ? 'wallet: no Secure Element present' : `wallet: no reader ${name}`);
    return reader.openSession();
  }

  /** The state an OMAPI refusal means; anything else is rethrown. */
  #refused(e: unknown): CardView {
    if (isDeviceError(e, 'ERR_DEVICE_SECURITY')) return { state: 'no-access', lastTransactions: [] };
    if (isDeviceError(e, 'ERR_DEVICE_NO_SUCH_ELEMENT')) return { state: this.#deployed ? 'suspended' : 'not-installed', lastTransactions: [] };
    // an OMAPI that reports the SELECT warning as a failure: the applet is there, blocked
    if (e instanceof DeviceError && e.sw === SW_BLOCKED) {
      this.#deployed = true;
      return { state: 'blocked', lastTransactions: [] };
    }
    throw e;
  }

  async #read(channel: WalletChannel): Promise<CardView> {
    const select = channel.getSelectResponse() ?? new Uint8Array(0);
    const sw = select.length >= 2 ? (select[select.length - 2]! << 8) | select[select.length - 1]! : SW_OK;
    this.#deployed = true;
    const atcValue = await getData(channel, 0x9f36);
    if (atcValue?.length !== 2) throw new DeviceError('ERR_DEVICE_CARD_DATA', 'wallet: GET DATA 9F36 is not a 2-byte ATC');
    const lastTransactions = await this.#log(channel, select.subarray(0, Math.max(0, select.length - 2)));
    return { state: sw === SW_BLOCKED ? 'blocked' : 'active', atc: (atcValue[0]! << 8) | atcValue[1]!, lastTransactions };
  }

  /** The log records the FCI's 9F4D names, split by GET DATA 9F4F, newest first; [] for a card without a log. */
  async #log(channel: WalletChannel, fci: Uint8Array): Promise<WalletTransaction[]> {
    const entry = logEntry(fci);
    if (entry === undefined) return [];
    const format = await getData(channel, 0x9f4f);
    if (format === undefined) return [];
    let dol: readonly DolEntry[];
    try {
      dol = parseDol(format);
    } catch (e) {
      throw new DeviceError('ERR_DEVICE_CARD_DATA', 'wallet: the Log Format is not a DOL', { cause: e });
    }
    const out: WalletTransaction[] = [];
    const max = Math.min(entry.records, this.#options.maxTransactions ?? 10);
    for (let n = 1; n <= max; n++) {
      const r = await send(channel, { cla: 0x00, ins: 0xb2, p1: n, p2: (entry.sfi << 3) | 4, ne: 256 });
      if (r.sw === SW_RECORD_NOT_FOUND) break;
      if (r.sw !== SW_OK) throw new DeviceError('ERR_DEVICE_STATUS', 'wallet: READ RECORD of the log refused', { sw: r.sw });
      out.push(transactionOf(dol, r.data));
    }
    return out;
  }
}

/** One command on the channel (OMAPI sets the channel bits and handles 61xx/6Cxx); a response without a status word is card data error. */
async function send(channel: WalletChannel, fields: CommandApduFields): Promise<ResponseApdu> {
  const raw = await channel.transmit(encodeCommand(commandApdu(fields)));
  try {
    return parseResponse(raw);
  } catch (e) {
    throw new DeviceError('ERR_DEVICE_CARD_DATA', 'wallet: the card answer is not a response APDU', { cause: e });
  }
}

/** GET DATA `80 CA tag 00`: the value of the data object, undefined on 6A88. */
async function getData(channel: WalletChannel, tag: number): Promise<Uint8Array | undefined> {
  const r = await send(channel, { cla: 0x80, ins: 0xca, p1: tag >> 8, p2: tag & 0xff, ne: 256 });
  if (r.sw === SW_DATA_NOT_FOUND) return undefined;
  if (r.sw !== SW_OK) throw new DeviceError('ERR_DEVICE_STATUS', `wallet: GET DATA ${tag.toString(16).toUpperCase()} refused`, { sw: r.sw });
  let node: Tlv;
  try {
    node = parseTlv(r.data);
  } catch (e) {
    throw new DeviceError('ERR_DEVICE_CARD_DATA', 'wallet: GET DATA answer is not BER-TLV', { cause: e });
  }
  if (node.tag !== tag) throw new DeviceError('ERR_DEVICE_CARD_DATA', 'wallet: GET DATA answered another tag');
  return node.value;
}

/** Log Entry 9F4D from the FCI (6F → A5 → BF0C → 9F4D), undefined when absent or unusable. */
function logEntry(fci: Uint8Array): { sfi: number; records: number } | undefined {
  if (fci.length === 0) return undefined;
  let nodes: readonly Tlv[];
  try {
    nodes = parseTlvList(fci);
  } catch (e) {
    throw new DeviceError('ERR_DEVICE_CARD_DATA', 'wallet: the FCI is not BER-TLV', { cause: e });
  }
  const value = findTlv(nodes, 0x6f, 0xa5, 0xbf0c, 0x9f4d)?.value;
  if (value?.length !== 2) return undefined;
  const [sfi, records] = [value[0]!, value[1]!];
  return sfi >= LOG_SFI.min && sfi <= LOG_SFI.max && records > 0 ? { sfi, records } : undefined;
}

const CRYPTOGRAMS: readonly CryptogramKind[] = ['AAC', 'TC', 'ARQC', 'RFU'];
const bcd = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const isDigits = (s: string): boolean => /^\d+$/.test(s);

/** One log record by its Log Format (elements it does not give, or gives malformed, stay undefined). */
function transactionOf(dol: readonly DolEntry[], record: Uint8Array): WalletTransaction {
  let v: Readonly<Record<string, Uint8Array>>;
  try {
    v = splitDolData(dol, record);
  } catch (e) {
    throw new DeviceError('ERR_DEVICE_CARD_DATA', 'wallet: a log record does not match the Log Format', { cause: e });
  }
  const out: { -readonly [K in keyof WalletTransaction]: WalletTransaction[K] } = {};
  const atc = v['9F36'];
  if (atc?.length === 2) out.atc = (atc[0]! << 8) | atc[1]!;
  const amount = v['9F02'] === undefined ? undefined : bcd(v['9F02']);
  if (amount !== undefined && isDigits(amount) && amount.length <= 15) out.amount = Number(amount);
  const currency = v['5F2A'] === undefined ? undefined : bcd(v['5F2A']);
  if (currency?.length === 4 && isDigits(currency)) out.currency = currency.slice(1);
  const date = v['9A'] === undefined ? undefined : bcd(v['9A']);
  if (date?.length === 6 && isDigits(date)) out.date = `20${date.slice(0, 2)}-${date.slice(2, 4)}-${date.slice(4, 6)}`;
  const type = v['9C'] === undefined ? undefined : bcd(v['9C']);
  if (type?.length === 2 && isDigits(type)) out.type = Number(type);
  const cid = v['9F27'];
  if (cid?.length === 1) out.cryptogram = CRYPTOGRAMS[cid[0]! >> 6]!;
  return out;
}
