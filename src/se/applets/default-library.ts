/**
 * The applets every OpenTSM virtual card can run, by Executable Module AID (README: the card binds an
 * installed module to its TypeScript implementation). Pass it as `VirtualSecureElementOptions.library`;
 * extend it with `DEFAULT_APPLET_LIBRARY.with(moduleAid, impl)`.
 */
import { AppletLibrary } from '../gp/applet-library.ts';
import { AraCApplet } from './ara-m/ara-c-applet.ts';
import { AraMApplet } from './ara-m/ara-m-applet.ts';
import { ARA_C_MODULE_AID, ARA_M_MODULE_AID } from './ara-m/ara-m-package.ts';
import { PaymentApplet } from './payment/payment-applet.ts';
import { PAYMENT_MODULE_AID, PPSE_MODULE_AID } from './payment/payment-package.ts';
import { PpseApplet } from './ppse/ppse-applet.ts';

export const DEFAULT_APPLET_LIBRARY: AppletLibrary = new AppletLibrary([
  [ARA_M_MODULE_AID, { name: 'ARA-M (GP Secure Element Access Control v1.1)', create: () => new AraMApplet() }],
  [ARA_C_MODULE_AID, { name: 'ARA-C (GP SEAC v1.1; rules of its own Security Domain, read by the ARA-M)', create: () => new AraCApplet() }],
  [PAYMENT_MODULE_AID, { name: 'EMV contactless payment (docs/payment-application.md)', create: () => new PaymentApplet() }],
  [PPSE_MODULE_AID, { name: 'PPSE 2PAY.SYS.DDF01 (EMV Book B)', create: () => new PpseApplet() }],
]);
