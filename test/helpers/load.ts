import { Agent, request } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** One request of the load loop, as the client saw it. */
export interface Sample {
  at: number;
  ms: number;
  status: number;
  /** Network error code when no status came back. */
  error?: string;
  body?: string;
}

export interface LoadStep {
  method: string;
  path: string;
  auth?: string;
  body?: string;
}

/**
 * A steady load from this (test) process: `concurrency` loops, each on its own keep-alive
 * connection, sending the next request as soon as the last one is answered. Stop with stop().
 */
export class LoadLoop {
  readonly samples: Sample[] = [];
  private _running = true;
  private readonly _loops: Promise<void>[] = [];
  private readonly _agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly _base: string,
    private readonly _next: (n: number) => LoadStep,
    concurrency = 4,
  ) {
    let n = 0;
    for (let i = 0; i < concurrency; i++) {
      this._loops.push(
        (async () => {
          while (this._running) {
            const s = await this._one(this._next(n++));
            this.samples.push(s);
            // Nothing listens (server stopped): do not spin.
            if (s.error === 'ECONNREFUSED') await new Promise((r) => setTimeout(r, 20));
          }
        })(),
      );
    }
  }

  private _one(step: LoadStep): Promise<Sample> {
    const at = Date.now();
    return new Promise((resolve) => {
      const headers: Record<string, string | number> = {};
      if (step.auth) headers.authorization = step.auth;
      if (step.body !== undefined) headers['content-length'] = Buffer.byteLength(step.body);
      const r = request(this._base + step.path, { method: step.method, headers, agent: this._agent, timeout: 15000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ at, ms: Date.now() - at, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ at, ms: Date.now() - at, status: 0, error: e.code ?? e.message }));
      });
      r.on('timeout', () => r.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
      r.on('error', (e: NodeJS.ErrnoException) => resolve({ at, ms: Date.now() - at, status: 0, error: e.code ?? e.message }));
      r.end(step.body);
    });
  }

  async stop(): Promise<Sample[]> {
    this._running = false;
    await Promise.all(this._loops);
    this._agent.destroy();
    return this.samples;
  }
}

/** A summary line for a test's diagnostic output. */
export function summarise(samples: Sample[]): { total: number; ok: number; errors: Record<string, number>; statuses: Record<string, number> } {
  const errors: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  let ok = 0;
  for (const s of samples) {
    if (s.error) errors[s.error] = (errors[s.error] ?? 0) + 1;
    else statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    if (!s.error && s.status < 500) ok++;
  }
  return { total: samples.length, ok, errors, statuses };
}

/**
 * A TCP proxy in the test process between the server and PostgreSQL, so a test can take "the
 * database" away without touching the shared PostgreSQL: cut() resets every connection and
 * refuses new ones (accepted, then reset at once), restore() lets them through again.
 */
export class TcpProxy {
  private _server: Server | null = null;
  private readonly _sockets = new Set<Socket>();
  private _cut = false;
  port = 0;

  constructor(
    private readonly _host: string,
    private readonly _port: number,
  ) {}

  async start(): Promise<void> {
    this._server = createServer((client) => {
      if (this._cut) return void client.destroy();
      const upstream = createConnection({ host: this._host, port: this._port });
      this._sockets.add(client);
      this._sockets.add(upstream);
      const close = (): void => {
        client.destroy();
        upstream.destroy();
        this._sockets.delete(client);
        this._sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((r) => this._server!.listen(0, '127.0.0.1', r));
    this.port = (this._server.address() as { port: number }).port;
  }

  cut(): void {
    this._cut = true;
    for (const s of this._sockets) s.destroy();
    this._sockets.clear();
  }

  restore(): void {
    this._cut = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => (this._server ? this._server.close(() => r()) : r()));
  }
}
