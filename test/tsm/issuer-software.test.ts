/** Issuer authorization on the software HSM and SQLite (PKCS#11: test/services). */
import { softwareSetup } from '../hsm/software-setup.ts';
import { issuerSuite } from './issuer-suite.ts';

issuerSuite('software HSM', softwareSetup);
