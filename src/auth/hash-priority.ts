import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** This process's thread ids (Linux: /proc/self/task); empty where that does not exist. */
export function threadIds(): Set<number> {
  try {
    return new Set(readdirSync('/proc/self/task').map(Number));
  } catch {
    return new Set();
  }
}

/**
 * Lowers the scheduling priority (raises the nice value) of the threads started since `before`,
 * which was taken before libuv's threadpool existed: argon2id and bcrypt run there. A flood of
 * cold logins then gets the CPU that the event loops and PostgreSQL leave instead of taking it
 * from them, so cached requests keep their latency. Linux applies setpriority() on a thread id
 * to that thread alone; elsewhere nothing is found and nothing changes. Returns how many
 * threads were changed.
 */
export function lowerNewThreadsPriority(before: Set<number>, nice: number): number {
  if (nice <= 0) return 0;
  let changed = 0;
  for (const tid of threadIds()) {
    if (before.has(tid)) continue;
    try {
      setPriority(tid, nice);
      changed++;
    } catch {
      // the thread ended, or the system refuses: hashing just keeps the normal priority
    }
  }
  return changed;
}
