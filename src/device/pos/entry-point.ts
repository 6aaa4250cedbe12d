/**
 * Entry point (EMV Book B §3.3): SELECT the PPSE, build the candidate list from its directory
 * entries that the terminal supports, ordered by Application Priority Indicator (87), and SELECT the
 * first application that answers 9000 (EMV Book 1 §12.4: a blocked application answers 6283 and is
 * skipped; a locked one 6A82).
 */
import type { ApduTransport } from '../../apdu/index.ts';
import { equalCt } from '../../bytes/index.ts';
import { findAllTlv, findTlv, type Tlv } from '../../tlv/index.ts';
import { DeviceError } from '../errors.ts';
import { exchange, parseTemplate } from '../card-io.ts';

/** The PPSE name, "2PAY.SYS.DDF01" (EMV Book B §3.3.2). */
export const PPSE_NAME = new TextEncoder().encode('2PAY.SYS.DDF01');

/** A directory entry of the PPSE the terminal may select. */
export interface Candidate {
  readonly aid: Uint8Array;
  /** b4–b1 of tag 87: 1 highest … 15 lowest, 0 or absent = no priority (after all others). */
  readonly priority: number;
}

/** The application the kernel runs: its DF name (84) and its PDOL (9F38; empty when it has none). */
export interface SelectedApplication {
  readonly aid: Uint8Array;
  readonly pdol: Uint8Array;
}

const SW_OK = 0x9000;

function select(card: ApduTransport, name: Uint8Array) {
  return exchange(card, { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: name, ne: 256 });
}

/** Whether the terminal's AID matches the card's ADF name, exactly or as a prefix (Book B §3.3.2.5, partial match). */
function supported(supportedAids: readonly Uint8Array[], adfName: Uint8Array): boolean {
  return supportedAids.some((t) => t.length <= adfName.length && equalCt(t, adfName.subarray(0, t.length)));
}

/** Book B §3.3.2: the candidate list from a PPSE FCI, highest priority first, FCI order among equals. */
export function candidateList(fci: Tlv, supportedAids: readonly Uint8Array[]): readonly Candidate[] {
  const entries = findAllTlv(fci, 0x6f, 0xa5, 0xbf0c, 0x61);
  const candidates: Candidate[] = [];
  for (const entry of entries) {
    const aid = findTlv(entry.children ?? [], 0x4f)?.value;
    if (aid === undefined || aid.length < 5 || aid.length > 16 || !supported(supportedAids, aid)) continue;
    const api = findTlv(entry.children ?? [], 0x87)?.value;
    const priority = api?.length === 1 ? api[0]! & 0x0f : 0;
    candidates.push({ aid: aid.slice(), priority });
  }
  const rank = (c: Candidate): number => (c.priority === 0 ? 16 : c.priority);
  // Array.prototype.sort is stable: equal priorities keep the directory's order.
  return candidates.sort((a, b) => rank(a) - rank(b));
}

/** SELECT PPSE and the first candidate that answers 9000 with a well-formed FCI. */
export async function selectApplication(card: ApduTransport, supportedAids: readonly Uint8Array[]): Promise<SelectedApplication> {
  const ppse = await select(card, PPSE_NAME);
  if (ppse.sw !== SW_OK) throw new DeviceError('ERR_DEVICE_NO_APPLICATION', 'the card has no PPSE', { sw: ppse.sw });
  const candidates = candidateList(parseTemplate(ppse.data, 'PPSE FCI', 0x6f), supportedAids);
  for (const candidate of candidates) {
    const response = await select(card, candidate.aid);
    // Book B §3.3.3: an application that does not answer 9000 (6283 blocked, 6A82 locked) is removed from the list
    if (response.sw !== SW_OK) continue;
    const fci = applicationFci(response.data, candidate.aid);
    if (fci !== undefined) return fci;
  }
  throw new DeviceError('ERR_DEVICE_NO_APPLICATION', `no selectable application among ${candidates.length} candidate(s)`);
}

/** The DF name and PDOL of an application FCI (Book 1 §11.3.4), or undefined when it is malformed. */
function applicationFci(data: Uint8Array, selected: Uint8Array): SelectedApplication | undefined {
  let fci: Tlv;
  try {
    fci = parseTemplate(data, 'application FCI', 0x6f);
  } catch {
    return undefined;
  }
  const name = findTlv(fci, 0x6f, 0x84)?.value;
  if (name === undefined || name.length > 16 || !supported([selected], name)) return undefined;
  const pdol = findTlv(fci, 0x6f, 0xa5, 0x9f38)?.value ?? new Uint8Array(0);
  return { aid: name.slice(), pdol: pdol.slice() };
}
