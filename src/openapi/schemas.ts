/**
 * JSON Schemas (OpenAPI 3.1 = JSON Schema 2020-12) of the resources, kept beside src/model.ts.
 * Records are open JSONB documents: the listed fields are the ones clients use; others pass through.
 */

export type JsonSchema = { [k: string]: unknown };

const str = (description: string, extra: JsonSchema = {}): JsonSchema => ({ type: 'string', description, ...extra });
const ID = { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } as const;
const CHANGE = { $ref: '#/components/schemas/ChangeInfo' } as const;

export const SCHEMAS: Record<string, JsonSchema> = {
  ChangeInfo: {
    type: 'object',
    description: 'Who made or changed a record, and where.',
    properties: { user: str('federation ID of the author'), timestamp: str('when', { format: 'date-time' }), node: str('the federation node') },
  },
  Person: {
    type: 'object',
    description: 'An entry of the Person Master Index. Never carries a password or its hash.',
    required: ['id'],
    properties: {
      id: { ...ID, description: 'federation ID, stored upper-case' },
      name: str('given name'),
      lastname: str('family name'),
      dob: str('date of birth', { format: 'date' }),
      gender: str('gender as the HMIS sends it (e.g. f, m)'),
      roles: { type: 'array', items: { type: 'string' }, description: 'roles from etc/roles.json; default ["end_user"]' },
      active: { type: 'boolean', description: 'false: the account cannot log in' },
      deceased: { type: 'boolean' },
      creation_info: CHANGE,
      modification_info: CHANGE,
    },
    additionalProperties: true,
  },
  PersonWrite: {
    description: 'Body of POST and PATCH /people/{person}: any person fields, plus a new password.',
    allOf: [
      { $ref: '#/components/schemas/Person' },
      {
        type: 'object',
        properties: {
          password: str('new password, 8-128 characters (stored as argon2id), or a bcrypt hash from Thalamus 0.9 (kept as is)', { writeOnly: true }),
        },
      },
    ],
  },
  PageOfLife: {
    type: 'object',
    description: "A page of a person's Book of Life.",
    required: ['id', 'book'],
    properties: {
      id: { ...ID, description: 'page ID (MyGNUHealth and the HMIS use UUIDs)' },
      book: { ...ID, description: 'federation ID of the person whose book this is' },
      page_date: str('when it happened', { format: 'date-time' }),
      page_type: str('medical, social, biographical, lifestyle, other'),
      domain: str('MyGNUHealth domain'),
      context: str('MyGNUHealth context'),
      relevance: str('e.g. important'),
      medical_context: str('e.g. birth'),
      social_context: str(''),
      health_condition_text: str(''),
      health_condition_code: str('e.g. an ICD-10 code'),
      procedure_text: str(''),
      procedure_code: str(''),
      summary: str(''),
      info: str(''),
      measurements: { type: 'object', description: 'e.g. {"bp": {"systolic": 116, "diastolic": 79}, "hr": 75}', additionalProperties: true },
      privacy: { type: 'boolean' },
      node: str('the node that wrote the page'),
      author: str(''),
      author_acct: str(''),
      creation_info: CHANGE,
      modification_info: CHANGE,
    },
    additionalProperties: true,
  },
  DocumentMetadata: {
    type: 'object',
    description: 'Metadata of a personal document; the bytes are served by GET /personal_docs/{person}/{pol}/{doc}.',
    required: ['id', 'fedacct', 'pol', 'size'],
    properties: {
      id: ID,
      fedacct: { ...ID, description: 'owner federation ID' },
      pol: { ...ID, description: 'the page of life it belongs to' },
      type: str('e.g. picture, pdf, or a media type'),
      extension: str('e.g. jpg'),
      context: str('e.g. identification'),
      description: str(''),
      size: { type: 'integer', minimum: 0, description: 'bytes' },
    },
    additionalProperties: true,
  },
  DocumentUpload: {
    type: 'object',
    description: 'Body of POST /personal_docs/{person}/{pol}/{doc}: metadata plus the file as base64.',
    required: ['document'],
    properties: {
      document: str('the file, base64', { contentEncoding: 'base64' }),
      type: str(''),
      extension: str(''),
      context: str(''),
      description: str(''),
    },
    additionalProperties: true,
  },
  DomiciliaryUnit: {
    type: 'object',
    description: 'A household.',
    required: ['id'],
    properties: {
      id: ID,
      desc: str('description'),
      address_street: str(''),
      address_street_number: str(''),
      address_city: str(''),
      address_country: str('ISO 3166 code'),
      members: { type: 'array', items: ID, description: 'federation IDs' },
    },
    additionalProperties: true,
  },
  Institution: {
    type: 'object',
    description: 'A health or civil institution of the federation.',
    required: ['id'],
    properties: { id: ID, name: str(''), type: str('e.g. hospital, laboratory, civil_office'), country: str(''), city: str('') },
    additionalProperties: true,
  },
  Event: {
    type: 'object',
    description: 'A change notification of the relay (what changed, where, when). Fields beyond these are defined by /events.',
    properties: {
      seq: { type: 'integer', description: 'position in the change feed' },
      resource: str('e.g. people, pols'),
      id: str('the changed record'),
      op: str('insert, update or delete'),
      at: str('', { format: 'date-time' }),
    },
    additionalProperties: true,
  },
  Record: { type: 'object', description: 'A JSON object.', additionalProperties: true },
  Login: {
    type: 'object',
    description: 'Who the credentials belong to.',
    required: ['id', 'roles'],
    properties: { id: ID, name: str(''), lastname: str(''), roles: { type: 'array', items: { type: 'string' } } },
  },
  Password: {
    type: 'object',
    required: ['password'],
    properties: { password: str('8-128 characters', { minLength: 8, maxLength: 128, writeOnly: true }) },
  },
  PasswordForm: {
    type: 'object',
    description: 'The HTML form (application/x-www-form-urlencoded).',
    required: ['csrf', 'password', 'confirm'],
    properties: { csrf: str('token from the form'), password: str('', { minLength: 8, maxLength: 128 }), confirm: str('the same again') },
  },
  Status: { type: 'object', properties: { status: { const: 'ok' } } },
  Error: {
    type: 'object',
    description: 'Every error response.',
    required: ['error'],
    properties: { error: str('readable message'), code: str('stable code, e.g. NOT_FOUND') },
  },
};

/** A collection of `name`: Thalamus 0.9's `[[{..}],[{..}]]`, or `[{..}]` with `collections: "flat"`. */
export function collectionSchema(name: string): JsonSchema {
  const item = { $ref: `#/components/schemas/${name}` };
  return {
    anyOf: [
      { type: 'array', items: { type: 'array', prefixItems: [item], minItems: 1, maxItems: 1 }, description: 'nested (default)' },
      { type: 'array', items: item, description: 'flat' },
    ],
  };
}
