/**
 * The Security Domain's command handlers by INS (GPC 2.3.1 chapter 11). Each handler is a file of
 * its own; SELECT, MANAGE CHANNEL, INITIALIZE UPDATE and EXTERNAL AUTHENTICATE are handled before.
 */
import type { SdHandler } from '../sd-context.ts';
import { getData } from './get-data.ts';

export const SD_HANDLERS: ReadonlyMap<number, SdHandler> = new Map<number, SdHandler>([
  [0xca, getData],
  [0xcb, getData],
]);
