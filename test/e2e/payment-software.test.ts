/** The payment chain end to end on the software HSM (PKCS#11: test/services/hsm-pkcs11.test.ts). */
import { softwareSetup } from '../hsm/software-setup.ts';
import { paymentE2eSuite } from './payment-suite.ts';

paymentE2eSuite('software HSM', softwareSetup);
