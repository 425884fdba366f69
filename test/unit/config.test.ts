import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, maskUrl } from '../../src/config.js';

function withFile(obj: unknown): string {
  const f = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'thalamus.json');
  writeFileSync(f, JSON.stringify(obj));
  return f;
}

test('defaults, file values, and environment overrides in that order', () => {
  const file = withFile({ port: 9000, collections: 'flat' });
  const c = loadConfig({ THALAMUS_CONFIG: file, PORT: '9100' });
  assert.equal(c.port, 9100);
  assert.equal(c.collections, 'flat');
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.authCacheSize, 10000);
});

test('bad values and unknown keys are refused with the key named', () => {
  assert.throws(() => loadConfig({ THALAMUS_CONFIG: withFile({}), PORT: 'eighty' }), /port/);
  assert.throws(() => loadConfig({ THALAMUS_CONFIG: withFile({}), THALAMUS_COLLECTIONS: 'tree' }), /collections must be one of/);
  assert.throws(() => loadConfig({ THALAMUS_CONFIG: withFile({ prot: 1 }) }), /unknown key "prot"/);
  assert.throws(() => loadConfig({ THALAMUS_CONFIG: '/nonexistent.json' }), ConfigError);
  // An audit batch is one row numbering its records in 1024 slots.
  assert.throws(() => loadConfig({ THALAMUS_CONFIG: withFile({}), THALAMUS_AUDIT_BATCH_SIZE: '1025' }), /auditBatchSize must be 1-1024/);
  assert.throws(() => loadConfig({ THALAMUS_CONFIG: withFile({}), THALAMUS_AUDIT_BATCH_SIZE: '0' }), /auditBatchSize/);
  assert.equal(loadConfig({ THALAMUS_CONFIG: withFile({}), THALAMUS_AUDIT_BATCH_SIZE: '1024' }).auditBatchSize, 1024);
});

test('database passwords are masked', () => {
  assert.equal(maskUrl('postgresql://thalamus:s3cret@db:5432/fed'), 'postgresql://thalamus:***@db:5432/fed');
  assert.ok(!maskUrl('postgresql://u:p@h/d').includes(':p@'));
});
