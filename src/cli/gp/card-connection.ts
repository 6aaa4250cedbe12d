/**
 * The card `opentsm gp` talks to: a PC/SC reader (`--reader NAME`, through cli/transport/pcsc.ts,
 * loaded only when asked for) or a virtual Secure Element kept in a state file (`--card FILE`;
 * every committed change is written back to the file, atomically). Exactly one of the two.
 */
import { existsSync } from 'node:fs';
import type { ApduTransport } from '../../apdu/index.ts';
import { DEFAULT_APPLET_LIBRARY, FileCardStore, VirtualSecureElement, type AppletLibrary } from '../../se/index.ts';
import { CliError } from '../errors.ts';
import { CardPortTransport } from './card-port-transport.ts';

/** An open card. */
export interface CardConnection {
  readonly transport: ApduTransport;
  /** The answer to reset. */
  readonly atr: Uint8Array;
  /** "reader …" or "virtual card … (profile …)". */
  readonly description: string;
  /** The readable name of an applet module the card implements, when it can tell (virtual cards). */
  moduleName(aid: Uint8Array): string | undefined;
  close(): Promise<void>;
}

/** How the card is chosen on the command line. */
export interface CardSelection {
  readonly reader?: string | undefined;
  readonly card?: string | undefined;
}

/** The applets a virtual card can instantiate: the built-in library (other modules install inert). */
function appletLibrary(): AppletLibrary {
  return DEFAULT_APPLET_LIBRARY;
}

function openVirtualCard(file: string): CardConnection {
  if (!existsSync(file)) {
    throw new CliError('ERR_CLI_INPUT', `--card ${file}: no such file (create a virtual card with \`opentsm se create\`)`);
  }
  const library = appletLibrary();
  const card = new VirtualSecureElement(new FileCardStore(file), { library });
  return {
    transport: new CardPortTransport(card),
    atr: card.atr,
    description: `virtual card ${file} (profile ${card.profile.id})`,
    moduleName: (aid) => library.lookup(aid)?.name,
    close: () => Promise.resolve(),
  };
}

async function openReader(name: string): Promise<CardConnection> {
  const { connectPcsc } = await import('../transport/pcsc.ts');
  const reader = await connectPcsc(name);
  return {
    transport: reader,
    atr: reader.atr,
    description: `reader "${reader.reader}" (${reader.protocol})`,
    moduleName: () => undefined,
    close: () => reader.close(),
  };
}

/**
 * Opens the card named by `--reader` or `--card`; giving neither or both is `ERR_CLI_USAGE`.
 * @example const card = await connectCard({ card: 'se.json' }); … await card.close();
 */
export async function connectCard(selection: CardSelection): Promise<CardConnection> {
  const { reader, card } = selection;
  if (reader !== undefined && card !== undefined) {
    throw new CliError('ERR_CLI_USAGE', 'give either --reader NAME (a PC/SC reader) or --card FILE (a virtual card), not both');
  }
  if (card !== undefined) return openVirtualCard(card);
  if (reader !== undefined) return openReader(reader);
  throw new CliError('ERR_CLI_USAGE', 'no card: give --reader NAME (a PC/SC reader) or --card FILE (a virtual card state file)');
}
