import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONFIG_SPEC } from '../../src/config.js';
import { ERROR_CODES } from '../../src/errors.js';

const README = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

test('every configuration key and its environment variable is documented in README.md', () => {
  for (const [key, spec] of Object.entries(CONFIG_SPEC)) {
    assert.ok(README.includes(`\`${key}\``), `README lacks key ${key}`);
    assert.ok(README.includes(`\`${spec.env}\``), `README lacks env ${spec.env}`);
  }
});

test('every error code is documented in README.md', () => {
  for (const code of Object.keys(ERROR_CODES)) assert.ok(README.includes(`\`${code}\``), `README lacks error code ${code}`);
});
