#!/usr/bin/env node
import pg from 'pg';
import { maskUrl } from '../config.js';
import { migrate } from '../db/migrate.js';
import { seedDemo } from '../db/seed-demo.js';
import { VERSION } from '../version.js';
import { checkDbUrl, CliError, connectError, EXIT, usage } from './errors.js';
import { EXPORT_TABLES, exportNdjson } from './export.js';
import { importLegacy } from './import-legacy.js';
import { checkId, checkRoleList, userAdd, userDeactivate, userPasswd, userRoles } from './user.js';

const HELP = `thalamus ${VERSION}: administer a Thalamus database (DATABASE_URL)

  thalamus migrate                      apply sql/ migrations (idempotent)
  thalamus seed --demo                  load the demo accounts and records (idempotent)
  thalamus user add ID --role R [R...]  create an account; password from a prompt or stdin
           [--name N] [--lastname L]
  thalamus user passwd ID               set a new password (prompt or stdin)
  thalamus user roles ID R [R...]       replace the account's roles
  thalamus user deactivate ID           the account can no longer log in
  thalamus import --from URL            copy a Thalamus 0.9 database (resumable)
           [--max-batches N] [--restart] [--batch-scale F]
  thalamus export [--tables T,...]      every record as NDJSON on stdout
           [--with-password-hashes]

Passwords are never taken from the command line. Exit codes: 0 done, 1 failed,
2 usage or bad input, 3 cannot connect, 4 source is not a Thalamus 0.9 database,
5 already exists, 6 no such user.
`;

interface Args {
  positional: string[];
  flags: Map<string, string[]>;
}

const VALUE_FLAGS = new Set(['--role', '--from', '--name', '--lastname', '--tables', '--max-batches', '--batch-scale']);
const BOOL_FLAGS = new Set(['--demo', '--restart', '--with-password-hashes', '--help', '-h', '--version']);

/** A small parser: `--flag value`, `--flag=value`, and `--role a b c` (values until the next flag). */
export function parseArgs(argv: string[]): Args {
  const out: Args = { positional: [], flags: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) {
      out.positional.push(a);
      continue;
    }
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (/^--pass(word)?$/.test(name)) throw usage('passwords are never taken from the command line (they would land in shell history and ps): type it at the prompt or pipe it on stdin');
    if (BOOL_FLAGS.has(name)) {
      out.flags.set(name, []);
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw usage(`unknown option ${name} (see thalamus --help)`);
    const values = out.flags.get(name) ?? [];
    if (inline !== undefined) values.push(inline);
    else {
      const many = name === '--role';
      while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) {
        values.push(argv[++i]);
        if (!many) break;
      }
    }
    if (values.length === 0) throw usage(`${name} needs a value`);
    out.flags.set(name, values);
  }
  return out;
}

function one(args: Args, flag: string): string | undefined {
  return args.flags.get(flag)?.[0];
}

function num(args: Args, flag: string, def: number): number {
  const v = one(args, flag);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw usage(`${flag} must be a positive number`);
  return n;
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'thalamus-cli', connectionTimeoutMillis: 10000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw connectError(err, maskUrl(url));
  }
  return client;
}

/** Runs `fn` with a connection to the target; a missing schema gets a hint instead of a SQL error. */
async function withTarget<T>(url: string, fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = await connect(url);
  try {
    const r = await db.query<{ t: string | null }>("SELECT to_regclass('people')::text AS t");
    if (!r.rows[0].t) throw new CliError(EXIT.FAILED, `${maskUrl(url)} has no Thalamus schema yet: run \`thalamus migrate\` first`);
    return await fn(db);
  } finally {
    await db.end().catch(() => undefined);
  }
}

function target(): string {
  return checkDbUrl(process.env.DATABASE_URL, 'DATABASE_URL');
}

async function run(argv: string[]): Promise<string | null> {
  const args = parseArgs(argv);
  const [cmd, sub, ...rest] = args.positional;
  if (args.flags.has('--version')) return VERSION;
  if (!cmd || args.flags.has('--help') || args.flags.has('-h') || cmd === 'help') {
    process.stdout.write(HELP);
    return null;
  }
  switch (cmd) {
    case 'migrate': {
      const url = target();
      await (await connect(url)).end();
      const applied = await migrate(url);
      return applied.length ? `applied ${applied.join(', ')} to ${maskUrl(url)}` : `${maskUrl(url)} is up to date`;
    }
    case 'seed': {
      if (!args.flags.has('--demo')) throw usage('seed loads the demo data only: say `thalamus seed --demo`');
      const url = target();
      await (await connect(url)).end();
      await migrate(url);
      await seedDemo(url);
      return `demo data loaded into ${maskUrl(url)}`;
    }
    case 'user': {
      const id = checkId(rest[0]);
      const url = target();
      switch (sub) {
        case 'add': {
          const roles = checkRoleList(args.flags.get('--role') ?? []);
          if (rest.length > 1) throw usage(`unexpected ${rest.slice(1).join(' ')} (roles go after --role)`);
          return withTarget(url, (db) => userAdd(db, id, roles, { name: one(args, '--name'), lastname: one(args, '--lastname') }));
        }
        case 'passwd':
          if (rest.length > 1) throw usage('user passwd takes only the ID: the password comes from the prompt or stdin');
          return withTarget(url, (db) => userPasswd(db, id));
        case 'roles':
          return withTarget(url, (db) => userRoles(db, id, checkRoleList([...rest.slice(1), ...(args.flags.get('--role') ?? [])])));
        case 'deactivate':
          return withTarget(url, (db) => userDeactivate(db, id));
        default:
          throw usage(`unknown user command ${sub ?? '(none)'}: add, passwd, roles or deactivate`);
      }
    }
    case 'import': {
      const from = checkDbUrl(one(args, '--from'), '--from');
      const url = target();
      await (await connect(url)).end();
      await migrate(url);
      const started = Date.now();
      const r = await importLegacy({
        from,
        target: url,
        maxBatches: num(args, '--max-batches', 0),
        restart: args.flags.has('--restart'),
        batchScale: num(args, '--batch-scale', 1),
        out: (line) => process.stderr.write(line + '\n'),
      });
      const summary = Object.entries(r.tables).map(([t, s]) => `${t} ${s.inserted}/${s.processed}`).join(', ');
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      return r.complete ? `import complete in ${secs} s (new/read: ${summary})` : `import paused after ${secs} s (new/read: ${summary})`;
    }
    case 'export': {
      const tables = (one(args, '--tables') ?? EXPORT_TABLES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
      const url = target();
      const counts = await withTarget(url, (db) => exportNdjson(db, { tables, withHashes: args.flags.has('--with-password-hashes'), out: process.stdout }));
      process.stderr.write(`exported ${Object.entries(counts).map(([t, n]) => `${n} ${t}`).join(', ')}\n`);
      return null;
    }
    default:
      throw usage(`unknown command ${cmd} (see thalamus --help)`);
  }
}

// A reader that goes away (`thalamus export | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

run(process.argv.slice(2)).then(
  (message) => {
    if (message) process.stdout.write(message + '\n');
    process.exitCode = EXIT.OK;
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`thalamus: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    const e = err as { code?: string; message?: string };
    // A SQLSTATE from the server says what went wrong; anything else is unexpected.
    process.stderr.write(`thalamus: failed: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}\n`);
    process.exitCode = EXIT.FAILED;
  },
);
