/** Plain request data copied out of the transport before anything asynchronous happens. */
export interface Request {
  /** Upper-case method. */
  method: string;
  /** Path without the query string, still percent-encoded. */
  path: string;
  /** Raw query string without the leading `?`. */
  query: string;
  headers: RequestHeaders;
  remoteAddress: string;
  body: Buffer | null;
}

/** The few request headers Thalamus reads; copied once, so handlers never touch transport objects. */
export interface RequestHeaders {
  authorization: string;
  contentType: string;
  origin: string;
  host: string;
  ifNoneMatch: string;
  accessControlRequestMethod: string;
  xForwardedFor: string;
  /** Optional so code that builds headers by hand need not name it. */
  accept?: string;
  xForwardedProto: string;
}

export const HEADER_NAMES: ReadonlyArray<[keyof RequestHeaders, string]> = [
  ['authorization', 'authorization'],
  ['contentType', 'content-type'],
  ['origin', 'origin'],
  ['host', 'host'],
  ['ifNoneMatch', 'if-none-match'],
  ['accessControlRequestMethod', 'access-control-request-method'],
  ['xForwardedFor', 'x-forwarded-for'],
  ['accept', 'accept'],
  ['xForwardedProto', 'x-forwarded-proto'],
];

export type Chunk = string | Buffer;

/** What a handler returns: a whole body, or a stream of chunks written with backpressure. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body?: Chunk;
  stream?: AsyncIterable<Chunk>;
}

/** What the transport needs to know to finish the response and log it. */
export interface Outcome {
  reply: Reply;
  /** Called once the response is written or the client went away. */
  done(aborted: boolean, bytes: number): void;
}
