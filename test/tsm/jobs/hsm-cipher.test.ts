/**
 * The job engine suite unchanged, its sensitive payloads sealed by the HSM-backed PayloadCipher
 * (src/tsm/protection: one transient record key per payload on the software HSM) instead of the
 * test cipher — on SQLite in memory.
 */
import { after } from 'node:test';
import { openDatabase } from '../../../src/store/index.ts';
import { HsmPayloadCipher } from '../../../src/tsm/index.ts';
import { softwareHsm } from '../../hsm/software-setup.ts';
import { jobEngineSuite } from './suite/index.ts';

const t = await softwareHsm();
after(() => t.close());

jobEngineSuite('SQLite :memory:, HsmPayloadCipher on the software HSM', () => openDatabase(':memory:'), { cipher: new HsmPayloadCipher(t.hsm) });
