/** Public types for Node clients of Thalamus. */
export type { Principal } from './auth/principal.js';
export { ERROR_CODES, type ErrorCode } from './errors.js';
