import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { SQL_DIR } from './migrate.js';

/**
 * The demo accounts of the Thalamus documentation. Passwords are bcrypt cost-12 hashes, as an
 * old Thalamus database holds them, so the first login exercises the legacy path.
 * gnusolidario / freedom / gnusolidario.
 */
const PEOPLE = [
  {
    id: 'ITAPYT999HON',
    data: {
      id: 'ITAPYT999HON', name: 'Cameron', lastname: 'Cordara', gender: 'f', dob: '1975-05-20',
      roles: ['end_user', 'health_professional'], active: true,
      password: '$2b$12$uGE00hGqnDtJDpsXhbrsSOO4JUuYb6D5WlXknE6h.YaSBVQinhDOS',
    },
  },
  {
    id: 'ARGBUE111FAV',
    data: {
      id: 'ARGBUE111FAV', name: 'Admin', lastname: 'Root', roles: ['root'], active: true,
      password: '$2b$12$3iuynTtgrOmB7K6X/p0oWuLcTH/e8JUlOntn2geF9FS4muDOpi8QK',
    },
  },
  {
    id: 'ESPGNU777ORG',
    data: {
      id: 'ESPGNU777ORG', name: 'Ana', lastname: 'Betz', gender: 'f', dob: '1985-10-04',
      roles: ['end_user'], active: true,
      password: '$2b$12$sqSUEEYMcWkmL/xE9Ll/1eFaXkKxPFA8ITssCUtukGStFwYnUNEWu',
    },
  },
];

const BIRTH_PAGE = '119b352e-8e4f-4847-9f05-53462cf94f10';
const CERT_PAGE = '919c352f-7e4f-5341-7c22-8423acf76b32';
const PICTURE = '8789981f-4e31-48d5-8eb8-1774dac8b8f6';

const POLS = [
  {
    id: BIRTH_PAGE,
    book: 'ESPGNU777ORG',
    data: {
      id: BIRTH_PAGE, book: 'ESPGNU777ORG', page_date: '1985-10-04T13:05:00Z', page_type: 'medical',
      medical_context: 'birth', relevance: 'important', summary: 'Single spontaneous delivery',
      info: 'Single spontaneous delivery', health_condition_code: 'O80',
      health_condition_text: 'Single spontaneous delivery', node: 'Milano General Hospital', author: 'Cameron Cordara',
      author_acct: 'ITAPYT999HON', creation_info: { user: 'ITAPYT999HON', timestamp: '1985-10-04T13:05:00Z', node: 'Milano General Hospital' },
    },
  },
  {
    id: CERT_PAGE,
    book: 'ESPGNU777ORG',
    data: {
      id: CERT_PAGE, book: 'ESPGNU777ORG', page_date: '1985-10-06T10:00:00Z', page_type: 'biographical',
      social_context: 'birth', summary: 'Birth Certificate', info: 'Birth Certificate', node: 'Milano City Hall',
      creation_info: { user: 'ARGBUE111FAV', timestamp: '1985-10-06T10:00:00Z', node: 'Milano City Hall' },
    },
  },
];

const DUS = [
  { id: 'GNU-DU-001', data: { id: 'GNU-DU-001', desc: 'Betz household', address_street: 'Via Roma', address_street_number: '42', address_city: 'Milano', address_country: 'IT', members: ['ESPGNU777ORG'] } },
  { id: 'GNU-DU-002', data: { id: 'GNU-DU-002', desc: 'Cordara household', address_street: 'Corso Buenos Aires', address_street_number: '7', address_city: 'Milano', address_country: 'IT', members: ['ITAPYT999HON'] } },
];

const INSTITUTIONS = [
  { id: 'ITMIGH001', data: { id: 'ITMIGH001', name: 'Milano General Hospital', type: 'hospital', country: 'IT', city: 'Milano' } },
  { id: 'ITMICH001', data: { id: 'ITMICH001', name: 'Milano City Hall', type: 'civil_office', country: 'IT', city: 'Milano' } },
  { id: 'ARBALAB01', data: { id: 'ARBALAB01', name: 'Buenos Aires Central Laboratory', type: 'laboratory', country: 'AR', city: 'Buenos Aires' } },
];

/** Loads the demo data; existing records are left as they are (idempotent). */
export async function seedDemo(url: string): Promise<void> {
  const picture = readFileSync(join(SQL_DIR, 'demo', 'picture-at-birth.jpg'));
  const client = new pg.Client({ connectionString: url, application_name: 'thalamus-seed' });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const p of PEOPLE) await client.query('INSERT INTO people (id, data) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [p.id, p.data]);
    for (const p of POLS) {
      await client.query('INSERT INTO pols (id, book, data) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [p.id, p.book, p.data]);
    }
    await client.query(
      'INSERT INTO personal_docs (id, fedacct, pol, document, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING',
      [PICTURE, 'ESPGNU777ORG', BIRTH_PAGE, picture, { id: PICTURE, fedacct: 'ESPGNU777ORG', pol: BIRTH_PAGE, type: 'picture', extension: 'jpg', context: 'identification', description: 'Picture at birth' }],
    );
    for (const d of DUS) await client.query('INSERT INTO dus (id, data) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [d.id, d.data]);
    for (const i of INSTITUTIONS) await client.query('INSERT INTO institutions (id, data) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [i.id, i.data]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}
