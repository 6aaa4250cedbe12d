/** The format 4 PIN change on the software HSM (PKCS#11: pinChangeIso4Suite from test/services/hsm-pkcs11.test.ts). */
import { softwareSetup } from '../../hsm/software-setup.ts';
import { pinChangeIso4Suite } from './pin-change-iso4-suite.ts';

pinChangeIso4Suite('software HSM', softwareSetup);
