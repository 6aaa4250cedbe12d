import { responseApdu, SW, type ResponseApdu } from '../../apdu/index.ts';
import type { Applet } from '../runtime/applet.ts';
import { CardException } from '../runtime/card-exception.ts';

/**
 * The applet of a module with no TypeScript implementation: it can be installed, selected, locked
 * and deleted like any application, answers SELECT with 9000 and every other command with 6D00.
 */
export const INERT_APPLET: Applet = Object.freeze({
  select(): ResponseApdu {
    return responseApdu(new Uint8Array(0), SW.OK);
  },
  process(): ResponseApdu {
    throw new CardException(SW.INS_NOT_SUPPORTED, 'inert applet: no TypeScript implementation for this module');
  },
});

/** Stands in for a locked application during SELECT: refuses with the profile's status word (GPC 2.3.1 §11.9.2.3). */
export function lockedApplet(sw: number): Applet {
  return {
    select(): ResponseApdu {
      throw new CardException(sw, 'application is locked');
    },
    process(): ResponseApdu {
      throw new CardException(sw, 'application is locked');
    },
  };
}
