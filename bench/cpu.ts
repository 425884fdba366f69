import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Where the machine's CPU goes during a run: the server's processes, PostgreSQL's, and the
 * load generator's (it reports its own). Read from /proc, so Linux only; elsewhere it is empty.
 */

let ticksPerSecond = 0;
function tickUs(): number {
  if (!ticksPerSecond) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return 1e6 / ticksPerSecond;
}

/** utime + stime of the processes, in microseconds; a process that has gone counts 0. */
export function cpuUs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited
    }
  }
  return ticks * tickUs();
}

/** A process and all its descendants. */
export function processTree(pid: number): number[] {
  const out = [pid];
  try {
    for (const child of execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').map(Number).filter(Boolean)) out.push(...processTree(child));
  } catch {
    // no children
  }
  return out;
}

/** Every process named `postgres` on the machine (backends, WAL writer, checkpointer...). */
export function postgresPids(): number[] {
  const pids: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(e));
    } catch {
      // exited
    }
  }
  return pids;
}
