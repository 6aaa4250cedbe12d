/**
 * The Security Domain's command handlers by INS (GPC 2.3.1 chapter 11). Each handler is a file of
 * its own; SELECT, MANAGE CHANNEL, INITIALIZE UPDATE and EXTERNAL AUTHENTICATE are handled before.
 */
import type { SdHandler } from '../sd-context.ts';
import { deleteContent } from './delete.ts';
import { getData } from './get-data.ts';
import { getStatus } from './get-status.ts';
import { install } from './install.ts';
import { load } from './load.ts';
import { putKey } from './put-key.ts';
import { selectFile } from './select-file.ts';
import { setStatus } from './set-status.ts';
import { storeData } from './store-data.ts';

export const SD_HANDLERS: ReadonlyMap<number, SdHandler> = new Map<number, SdHandler>([
  [0xca, getData],
  [0xcb, getData],
  [0xd8, putKey],
  [0xe2, storeData],
  [0xf0, setStatus],
  [0xf2, getStatus],
  [0xe4, deleteContent],
  [0xe6, install],
  [0xe8, load],
  [0xa4, selectFile],
]);
