/**
 * The resources as clients see them on the wire. Records are JSONB documents: the fields named
 * here are the ones the federation's clients use, and any other field is kept and returned.
 */

/** Who made or changed a record, as the HMIS and MyGNUHealth send it. */
export interface ChangeInfo {
  user?: string;
  timestamp?: string;
  node?: string;
}

/** An entry of the Person Master Index (`/people/{person}`). The password is write-only. */
export interface Person {
  id: string;
  name?: string;
  lastname?: string;
  /** `YYYY-MM-DD` */
  dob?: string;
  gender?: string;
  roles?: string[];
  active?: boolean;
  deceased?: boolean;
  creation_info?: ChangeInfo;
  modification_info?: ChangeInfo;
  [field: string]: unknown;
}

/** What a POST or PATCH of a person may carry on top: a new password (never returned). */
export interface PersonWrite extends Partial<Person> {
  password?: string;
}

/** A page of a person's Book of Life (`/pols/{person}/{page}`). */
export interface PageOfLife {
  id: string;
  /** The federation ID of the person whose book this is. */
  book: string;
  page_date?: string;
  page_type?: string;
  domain?: string;
  context?: string;
  relevance?: string;
  medical_context?: string;
  social_context?: string;
  health_condition_text?: string;
  health_condition_code?: string;
  procedure_text?: string;
  procedure_code?: string;
  summary?: string;
  info?: string;
  measurements?: Record<string, unknown>;
  privacy?: boolean;
  node?: string;
  author?: string;
  author_acct?: string;
  creation_info?: ChangeInfo;
  modification_info?: ChangeInfo;
  [field: string]: unknown;
}

/** A personal document's metadata (`/personal_docs/...`); the bytes are served apart. */
export interface DocumentMetadata {
  id: string;
  fedacct: string;
  /** The page of life the document belongs to. */
  pol: string;
  type?: string;
  extension?: string;
  context?: string;
  description?: string;
  /** Size of the stored bytes. */
  size: number;
  [field: string]: unknown;
}

/** The body of `POST /personal_docs/{person}/{pol}/{doc}`: metadata plus the file as base64. */
export interface DocumentUpload extends Partial<Omit<DocumentMetadata, 'size'>> {
  document: string;
}

/** A household (`/domiciliary-units/{du}`). */
export interface DomiciliaryUnit {
  id: string;
  desc?: string;
  address_street?: string;
  address_street_number?: string;
  address_city?: string;
  address_country?: string;
  members?: string[];
  [field: string]: unknown;
}

/** A health or civil institution of the federation (`/institutions/{inst}`). */
export interface Institution {
  id: string;
  name?: string;
  type?: string;
  country?: string;
  city?: string;
  [field: string]: unknown;
}

/** `GET /login`: who the credentials belong to. */
export interface LoginInfo {
  id: string;
  name?: string;
  lastname?: string;
  roles: string[];
}

/** Every error response. */
export interface ErrorBody {
  error: string;
  /** Stable machine-readable code, see ERROR_CODES. */
  code?: string;
}

/** Thalamus 0.9's collection shape (`[[{..}],[{..}]]`), or the flat one with `collections: "flat"`. */
export type Collection<T> = Array<[T]> | T[];
