import { contractSuite } from './contract.js';

contractSuite('uws');
