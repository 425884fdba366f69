import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Acl, AclError } from '../../../src/auth/acl.js';

const ROOT = join(__dirname, '..', '..', '..', '..');
const acl = Acl.fromFile(join(ROOT, 'etc', 'roles.json'));
const ana = { id: 'ESPGNU777ORG', roles: ['end_user'] };
const cameron = { id: 'ITAPYT999HON', roles: ['end_user', 'health_professional'] };
const root = { id: 'ARGBUE111FAV', roles: ['root'] };

test('non-global roles reach only their own records', () => {
  assert.ok(acl.allows(ana, 'GET', 'person', 'ESPGNU777ORG'));
  assert.ok(!acl.allows(ana, 'GET', 'person', 'ITAPYT999HON'));
  assert.ok(acl.allows(ana, 'POST', 'page', 'ESPGNU777ORG'));
  assert.ok(!acl.allows(ana, 'POST', 'page', 'ITAPYT999HON'));
});

test('an endpoint not listed under the method is denied even for own records', () => {
  assert.ok(!acl.allows(ana, 'GET', 'people', null));
  assert.ok(!acl.allows(ana, 'DELETE', 'person', 'ESPGNU777ORG'));
});

test('global roles reach everyone; any one role is enough', () => {
  assert.ok(acl.allows(cameron, 'GET', 'person', 'ESPGNU777ORG'));
  assert.ok(acl.allows(cameron, 'GET', 'people', null));
  assert.ok(!acl.allows(cameron, 'DELETE', 'person', 'ESPGNU777ORG'));
  assert.ok(acl.allows(root, 'DELETE', 'person', 'ESPGNU777ORG'));
});

test('admin comes only from "admin": "True"', () => {
  assert.ok(acl.isAdmin(root));
  assert.ok(!acl.isAdmin(cameron));
  assert.ok(!acl.isAdmin(ana));
  assert.ok(!acl.isAdmin({ id: 'X', roles: ['no_such_role'] }));
});

test('root is granted every endpoint name under GET', () => {
  for (const e of ['login', 'people', 'person', 'book', 'page', 'password', 'personal_docs', 'domiciliary_units', 'domiciliary_unit', 'institutions', 'institution', 'audit']) {
    assert.ok(acl.allows(root, 'GET', e, 'ANYONE'), e);
  }
});

test('a Thalamus 0.9 roles.cfg (JSON with "True"/"False" strings) loads unchanged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acl-'));
  const file = join(dir, 'roles.cfg');
  writeFileSync(
    file,
    JSON.stringify([
      { role: 'end_user', permissions: { GET: ['person', 'book', 'page'], POST: ['page'], PATCH: ['page'], DELETE: [], global: 'False' } },
      { role: 'health_professional', permissions: { GET: ['people', 'person'], POST: ['person'], PATCH: [], DELETE: [], global: 'True' } },
    ]),
  );
  const legacy = Acl.fromFile(file);
  assert.ok(legacy.allows({ id: 'A', roles: ['end_user'] }, 'GET', 'book', 'A'));
  assert.ok(!legacy.allows({ id: 'A', roles: ['end_user'] }, 'GET', 'book', 'B'));
  assert.ok(legacy.allows({ id: 'H', roles: ['health_professional'] }, 'GET', 'person', 'B'));
});

test('malformed roles files are refused with a message that says what is wrong', () => {
  assert.throws(() => new Acl({}), AclError);
  assert.throws(() => new Acl([{ role: 'x' }]), /permissions/);
  assert.throws(() => new Acl([{ role: 'x', permissions: { GET: 'people' } }]), /list of endpoint names/);
  assert.throws(() => Acl.fromFile('/nonexistent/roles.json'), /cannot read/);
});
