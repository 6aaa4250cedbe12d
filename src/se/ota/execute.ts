/**
 * Runs the C-APDUs of an OTA script on a Security Domain "as if on a channel to it" (ETSI TS 102 226
 * RAM): a pseudo-channel of the SD marked authenticated by the verified SCP80 packet, with the SD's
 * privileges and no SCP02/SCP03 session. Each command is one card transaction, as from the card OS:
 * committed when it answers, rolled back when it is refused. Execution stops after the first command
 * whose status word is an error (SW1 64–6F, or anything but 90/91/92/61/62/63) [M: ETSI TS 102 226
 * §5.1.1 "the execution stops at the first error"].
 *
 * What an SD cannot do without a session stays refused (6982): PUT KEY and STORE DATA need a DEK
 * (over OTA that is the key set's third key, KIK [M] — not implemented).
 */
import { parseCommand, responseApdu, SW, type ResponseApdu } from '../../apdu/index.ts';
import type { CardManager } from '../gp/card-manager.ts';
import { findApp } from '../gp/registry.ts';
import { SecurityDomainApplet } from '../gp/security-domain.ts';
import type { AppletContext } from '../runtime/applet.ts';
import { CardException } from '../runtime/card-exception.ts';

/** Runs a script on an SD: the responses of the executed commands (the last one may be the error). */
export interface OtaScriptRunner {
  run(sdAid: Uint8Array, apdus: readonly Uint8Array[]): ResponseApdu[];
}

/** The logical channels are 0–19 (ISO 7816-4); the OTA pseudo-channel is outside them. */
export const OTA_CHANNEL = 20;

/** Whether a status word lets the script go on [M]. */
export function continuesScript(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw === SW.OK || sw1 === 0x61 || sw1 === 0x62 || sw1 === 0x63 || sw1 === 0x91 || sw1 === 0x92;
}

/** The card's own runner: the SD applet of the card manager, one transaction per command. */
export function securityDomainRunner(manager: CardManager): OtaScriptRunner {
  return {
    run(sdAid, apdus) {
      const app = findApp(manager.model.state, sdAid);
      const applet = app === undefined ? undefined : manager.applet(app);
      if (!(applet instanceof SecurityDomainApplet)) return [responseApdu(new Uint8Array(0), SW.NO_PRECISE_DIAGNOSIS)];
      applet.beginOta(OTA_CHANNEL);
      try {
        const out: ResponseApdu[] = [];
        for (const bytes of apdus) {
          const r = runSdCommand(manager, applet, sdAid, bytes, OTA_CHANNEL);
          out.push(r);
          if (!continuesScript(r.sw)) break;
        }
        return out;
      } finally {
        applet.endOta(OTA_CHANNEL);
      }
    },
  };
}

/**
 * One C-APDU on an SD's pseudo-channel (opened with `beginOta`), as one card transaction: committed
 * when it answers, rolled back when it is refused. Also the SCP81 admin agent's step (admin-agent.ts).
 */
export function runSdCommand(manager: CardManager, applet: SecurityDomainApplet, sdAid: Uint8Array, bytes: Uint8Array, channel: number): ResponseApdu {
  let apdu;
  try {
    apdu = parseCommand(bytes);
  } catch {
    return responseApdu(new Uint8Array(0), SW.WRONG_LENGTH);
  }
  const tx = manager.model;
  const ctx: AppletContext = {
    channel,
    aid: sdAid,
    contactless: false,
    persistent: tx.appletData(sdAid),
    setPersistent: (next) => tx.stageAppletData(sdAid, next),
  };
  tx.begin();
  try {
    const response = applet.process(apdu, ctx);
    tx.commit();
    return response;
  } catch (e) {
    tx.rollback();
    if (e instanceof CardException) return responseApdu(new Uint8Array(0), e.sw);
    return responseApdu(new Uint8Array(0), SW.NO_PRECISE_DIAGNOSIS);
  }
}
