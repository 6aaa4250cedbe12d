/**
 * One `opentsm gp` run against one card: the connection (optionally traced), the selected Security
 * Domain, and the secure channel, opened only when a verb needs it and closed at the end.
 */
import type { ApduTransport, CommandApdu, ResponseApdu } from '../../apdu/index.ts';
import type { SecureChannelSession } from '../../gp/index.ts';
import { CliError } from '../errors.ts';
import { connectCard, type CardConnection, type CardSelection } from './card-connection.ts';
import { withAdvice, type GpCommandName } from './card-status.ts';
import { parseKdf, resolveKeys, type KeyOptions } from './keys.ts';
import type { Output } from './output.ts';
import { parseAid, parseByte } from './parse.ts';
import { openGpSession } from './secure-session.ts';
import { selectSecurityDomain, type SelectedSd } from './select-sd.ts';
import { TracingTransport } from './trace-transport.ts';

/** The options every `opentsm gp` verb understands (commander's camel-cased names). */
export interface GpOptions extends KeyOptions, CardSelection {
  readonly kdf?: string | undefined;
  readonly kvn?: string | undefined;
  readonly scp?: string | undefined;
  readonly sl?: string | undefined;
  readonly sdaid?: string | undefined;
  readonly debug?: boolean | undefined;
}

/** Parses `--scp`: 02 or 03 (also 2, 3, SCP02, SCP03). */
export function parseScp(value: string | undefined): 2 | 3 | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:scp)?0?([23])$/i.exec(value.trim());
  if (m === null) throw new CliError('ERR_CLI_USAGE', `--scp ${value}: expected 02 or 03`);
  return m[1] === '2' ? 2 : 3;
}

/** The card, its Security Domain and the secure channel of one run; verbs get it from {@link withGpContext}. */
export class GpContext {
  readonly out: Output;
  readonly connection: CardConnection;
  /** The card as the verbs see it: traced when --debug is on. */
  readonly transport: ApduTransport;
  readonly #options: GpOptions;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #tracer: TracingTransport | undefined;
  #sd: SelectedSd | undefined;
  #session: SecureChannelSession | undefined;

  private constructor(connection: CardConnection, options: GpOptions, out: Output, env: Readonly<Record<string, string | undefined>>) {
    this.connection = connection;
    this.out = out;
    this.#options = options;
    this.#env = env;
    this.#tracer = options.debug === true ? new TracingTransport(connection.transport, (line) => out.err(line)) : undefined;
    this.transport = this.#tracer ?? connection.transport;
  }

  /** Validates the options that need no card, then connects. */
  static async open(options: GpOptions, out: Output, env: Readonly<Record<string, string | undefined>> = process.env): Promise<GpContext> {
    parseKdf(options.kdf);
    parseScp(options.scp);
    if (options.kvn !== undefined) parseByte(options.kvn, '--kvn');
    if (options.sdaid !== undefined) parseAid(options.sdaid, '--sdaid');
    const connection = await connectCard(options);
    return new GpContext(connection, options, out, env);
  }

  /** SELECTs the Security Domain (once). */
  async sd(): Promise<SelectedSd> {
    this.#sd ??= await selectSecurityDomain(this.transport, this.#options.sdaid === undefined ? undefined : parseAid(this.#options.sdaid, '--sdaid'));
    return this.#sd;
  }

  /** The secure channel to the Security Domain, opened on first use; needs the keys. */
  async session(): Promise<SecureChannelSession> {
    if (this.#session?.isOpen === true) return this.#session;
    const keys = resolveKeys(this.#options, this.#env);
    if (keys === undefined) {
      throw new CliError('ERR_CLI_USAGE', 'this command needs a secure channel: give the card\'s keys with --key (or --key-enc, --key-mac, --key-dek), or set GP_KEY (or GP_KEY_ENC, GP_KEY_MAC, GP_KEY_DEK)');
    }
    const sd = await this.sd();
    const { session, description } = await openGpSession(this.transport, sd, {
      keys,
      keyVersion: this.#options.kvn === undefined ? 0 : parseByte(this.#options.kvn, '--kvn'),
      kdf: parseKdf(this.#options.kdf),
      scp: parseScp(this.#options.scp),
      securityLevel: this.#options.sl,
    }, this.out);
    if (this.#tracer !== undefined) {
      this.#tracer.commandEncryption = (session.securityLevel & 0x02) !== 0;
      this.out.err(`# secure channel: ${description}`);
    }
    this.#session = session;
    return session;
  }

  /** Sends a command inside the secure channel; a status error raised by the channel gets advice. */
  async send(apdu: CommandApdu, command: GpCommandName): Promise<ResponseApdu> {
    const session = await this.session();
    try {
      return await session.transmit(apdu);
    } catch (e) {
      throw withAdvice(e, command);
    }
  }

  /** Closes the secure channel and the card connection. */
  async close(): Promise<void> {
    this.#session?.close();
    if (this.#tracer !== undefined) this.#tracer.commandEncryption = false;
    await this.connection.close();
  }
}

/** Runs `fn` with a connected context and always closes it. */
export async function withGpContext<T>(options: GpOptions, out: Output, fn: (ctx: GpContext) => Promise<T>): Promise<T> {
  const ctx = await GpContext.open(options, out);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
