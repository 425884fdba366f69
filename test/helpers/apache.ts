import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT } from './server.js';

/** Apache httpd with the shipped site (ops/apache-thalamus.conf) and a self-signed certificate, in front of a test server. */
export interface TestApache {
  port: number;
  /** The directory holding the configuration and logs (error.log, thalamus-access.log, ...). */
  dir: string;
  stop(): Promise<void>;
}

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';

/** False when Apache httpd (Debian's apache2) or openssl is not installed (the test then skips). */
export function apacheAvailable(): boolean {
  return existsSync(APACHE) && spawnSync('sh', ['-c', 'command -v openssl']).status === 0;
}

/** Replaces `from` once, and fails loudly when the shipped site no longer contains it. */
function rewrite(site: string, from: string, to: string): string {
  if (!site.includes(from)) throw new Error(`ops/apache-thalamus.conf: "${from}" not found; update test/helpers/apache.ts`);
  return site.split(from).join(to);
}

/** The `<VirtualHost *:443>` block of the shipped site, pointed at this test's port, certificate and upstream. */
function site(dir: string, port: number, upstreamPort: number): string {
  const file = readFileSync(join(ROOT, 'ops', 'apache-thalamus.conf'), 'utf8');
  const start = file.indexOf('<VirtualHost *:443>');
  const end = file.indexOf('</VirtualHost>', start);
  if (start < 0 || end < 0) throw new Error('ops/apache-thalamus.conf: no <VirtualHost *:443> block');
  let s = file.slice(start, end + '</VirtualHost>'.length);
  s = rewrite(s, '<VirtualHost *:443>', `<VirtualHost 127.0.0.1:${port}>`);
  s = rewrite(s, '/etc/ssl/certs/thalamus.crt', join(dir, 'tls.crt'));
  s = rewrite(s, '/etc/ssl/private/thalamus.key', join(dir, 'tls.key'));
  s = rewrite(s, 'http://127.0.0.1:8080/', `http://127.0.0.1:${upstreamPort}/`);
  // Shorter client timeouts than production so the slow-client cases finish quickly.
  s = rewrite(s, 'RequestReadTimeout header=10-20,MinRate=500 body=30,MinRate=500', 'RequestReadTimeout header=4-8,MinRate=500 body=4,MinRate=500');
  return s;
}

/**
 * A self-contained httpd: only the modules the site needs, every file in a temp dir, and the
 * defaults Debian's apache2.conf sets that change behaviour (timeouts, keep-alive, `<Directory />`).
 */
function config(dir: string, port: number, upstreamPort: number): string {
  const modules = ['mpm_event', 'authz_core', 'setenvif', 'socache_shmcb', 'ssl', 'headers', 'reqtimeout', 'rewrite', 'proxy', 'proxy_http'];
  const user = process.getuid?.() === 0 ? 'User www-data\nGroup www-data\n' : '';
  return `ServerRoot ${dir}
DefaultRuntimeDir ${dir}
PidFile ${dir}/apache.pid
Mutex file:${dir} default
ErrorLog ${dir}/error.log
LogLevel warn
ServerName localhost
${user}${modules.map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`).join('\n')}
StartServers 1
ServerLimit 2
ThreadsPerChild 25
MaxRequestWorkers 50
MinSpareThreads 25
MaxSpareThreads 50
Timeout 300
KeepAlive On
MaxKeepAliveRequests 100
KeepAliveTimeout 5
LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined
SSLSessionCache shmcb:${dir}/ssl_scache(512000)
DocumentRoot ${dir}/www
<Directory />
    Require all denied
</Directory>
<Directory ${dir}/www>
    Require all granted
</Directory>
Listen 127.0.0.1:${port}
${site(dir, port, upstreamPort)}
`;
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export async function startApache(upstreamPort: number): Promise<TestApache> {
  const dir = mkdtempSync(join(tmpdir(), 'thalamus-apache-'));
  chmodSync(dir, 0o755); // the children (www-data, when run as root) use the mutex and cache files in it
  mkdirSync(join(dir, 'www'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { stdio: 'ignore' });
  const port = await freePort();
  writeFileSync(join(dir, 'httpd.conf'), config(dir, port, upstreamPort));
  // The site's log paths use Debian's ${APACHE_LOG_DIR} (set by /etc/apache2/envvars in production).
  const proc = spawn(APACHE, ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', APACHE_LOG_DIR: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
      cleanup();
      throw new Error(`apache2 exited (${proc.exitCode ?? proc.signalCode}) before listening:\n${stderr}${log}`);
    }
    if (await answers(port)) break;
    if (i >= 100) {
      proc.kill('SIGKILL');
      cleanup();
      throw new Error(`apache2 not listening after 10 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    dir,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        // SIGTERM: the parent stops its children and removes its shared memory, then exits.
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(t);
      }
      cleanup();
    },
  };
}
