/** Personalization data preparation on the software HSM (PKCS#11: test/services). */
import { softwareSetup } from '../hsm/software-setup.ts';
import { personalizationSuite } from './personalization-suite.ts';

personalizationSuite('software HSM', softwareSetup);
