/** The registry and catalog rows on SQLite in memory (store-suite.ts). */
import { openDatabase } from '../../../src/store/index.ts';
import { registryStoreTests } from './store-suite.ts';

registryStoreTests(() => openDatabase(':memory:'));
