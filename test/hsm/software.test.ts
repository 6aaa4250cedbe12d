/** The HSM conformance suite on the software backend (LMK + TR-31 blocks in a memory store). */
import { runHsmConformance } from './conformance/suite.ts';
import { softwareSetup } from './software-setup.ts';

runHsmConformance('software', softwareSetup);
