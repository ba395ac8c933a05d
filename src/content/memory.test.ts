import { MemoryContentStore } from './memory.js';
import { runContentStoreSuite } from './testsuite.js';

runContentStoreSuite('memory', async () => ({ store: new MemoryContentStore(), cleanup: async () => {} }));
