/** Public types for Node clients of Thalamus. */
export type { Principal } from './auth/principal.js';
export { ERROR_CODES, type ErrorCode } from './errors.js';
export type {
  ChangeInfo,
  Collection,
  DocumentMetadata,
  DocumentUpload,
  DomiciliaryUnit,
  ErrorBody,
  Institution,
  LoginInfo,
  PageOfLife,
  Person,
  PersonWrite,
} from './model.js';
