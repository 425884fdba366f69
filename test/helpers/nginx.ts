import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT } from './server.js';

/** nginx with the shipped site (ops/nginx-thalamus.conf) and a self-signed certificate, in front of a test server. */
export interface TestNginx {
  port: number;
  stop(): void;
}

/** False when nginx or openssl is not installed (the test then skips). */
export function nginxAvailable(): boolean {
  return ['nginx', 'openssl'].every((bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0);
}

export async function startNginx(upstreamPort: number): Promise<TestNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'thalamus-nginx-'));
  chmodSync(dir, 0o755); // nginx workers (nobody, when run as root) buffer bodies under it
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { stdio: 'ignore' });
  const port = await freePort();
  let site = readFileSync(join(ROOT, 'ops', 'nginx-thalamus.conf'), 'utf8');
  site = site.slice(site.indexOf('upstream thalamus'));
  site = site.replace(/server \{\n {4}listen 80;[\s\S]*?\n\}\n/, '');
  site = site.replace('server 127.0.0.1:8080', `server 127.0.0.1:${upstreamPort}`);
  site = site.replace('listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`).replace('    listen [::]:443 ssl http2;\n', '');
  site = site.replace('/etc/ssl/certs/thalamus.crt', join(dir, 'tls.crt')).replace('/etc/ssl/private/thalamus.key', join(dir, 'tls.key'));
  // Shorter client timeouts than production so the slow-client cases finish quickly.
  site = site.replace('client_header_timeout 10s;', 'client_header_timeout 4s;').replace('client_body_timeout 30s;', 'client_body_timeout 4s;');
  const conf = `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
${site}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  execFileSync('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  return {
    port,
    stop() {
      try {
        process.kill(Number(readFileSync(join(dir, 'nginx.pid'), 'utf8').trim()), 'SIGTERM');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
