import cluster, { type Worker } from 'node:cluster';
import { renderPrometheus, type MetricsSnapshot, type PrimaryCounters } from './metrics.js';

/**
 * /metrics across workers: the worker that got the scrape asks the primary, the primary asks
 * every worker for a snapshot (waiting at most `SCRAPE_WAIT_MS`), sums and renders, and sends
 * the text back. Nothing of this runs on the request hot path.
 */
const SCRAPE_WAIT_MS = 500;

interface ScrapeMsg { type: 'metrics:scrape'; id: number }
interface CollectMsg { type: 'metrics:collect'; id: number }
interface SnapshotMsg { type: 'metrics:snapshot'; id: number; snap: MetricsSnapshot }
interface TextMsg { type: 'metrics:text'; id: number; text: string }

function isMsg<T extends { type: string }>(m: unknown, type: T['type']): m is T {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}

/** Worker side: answers the primary's collect requests and asks it for the aggregate. */
export class WorkerMetricsLink {
  private _next = 1;
  private readonly _waiting = new Map<number, (text: string) => void>();

  constructor(private readonly _snapshot: () => MetricsSnapshot) {
    process.on('message', (m: unknown) => {
      if (isMsg<CollectMsg>(m, 'metrics:collect')) {
        process.send?.({ type: 'metrics:snapshot', id: m.id, snap: this._snapshot() } satisfies SnapshotMsg);
      } else if (isMsg<TextMsg>(m, 'metrics:text')) {
        this._waiting.get(m.id)?.(m.text);
        this._waiting.delete(m.id);
      }
    });
  }

  /** Prometheus text for the whole server (only this worker when there is no primary). */
  scrape(): Promise<string> {
    if (!process.send || !process.connected) return Promise.resolve(renderPrometheus([this._snapshot()], { workerRestarts: 0, workersAlive: 1, reloads: 0, reloadFailures: 0 }));
    const id = this._next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this._waiting.delete(id);
        resolve(renderPrometheus([this._snapshot()], { workerRestarts: 0, workersAlive: 1, reloads: 0, reloadFailures: 0 }));
      }, SCRAPE_WAIT_MS * 4);
      this._waiting.set(id, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      process.send?.({ type: 'metrics:scrape', id } satisfies ScrapeMsg);
    });
  }
}

/** Primary side: call from each worker's 'message' handler. */
export class PrimaryMetricsHub {
  private _next = 1;
  private readonly _rounds = new Map<number, { snaps: MetricsSnapshot[]; expected: number; done: () => void }>();

  constructor(private readonly _counters: () => PrimaryCounters) {}

  onMessage(from: Worker, m: unknown): void {
    if (isMsg<ScrapeMsg>(m, 'metrics:scrape')) void this._scrape(from, m.id);
    else if (isMsg<SnapshotMsg>(m, 'metrics:snapshot')) {
      const round = this._rounds.get(m.id);
      if (!round) return;
      round.snaps.push(m.snap);
      if (round.snaps.length >= round.expected) round.done();
    }
  }

  private async _scrape(from: Worker, requestId: number): Promise<void> {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
    const id = this._next++;
    const snaps: MetricsSnapshot[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, SCRAPE_WAIT_MS);
      this._rounds.set(id, { snaps, expected: workers.length, done: () => (clearTimeout(timer), resolve()) });
      for (const w of workers) w.send({ type: 'metrics:collect', id } satisfies CollectMsg);
    });
    this._rounds.delete(id);
    if (from.isConnected()) from.send({ type: 'metrics:text', id: requestId, text: renderPrometheus(snaps, this._counters()) } satisfies TextMsg);
  }
}
