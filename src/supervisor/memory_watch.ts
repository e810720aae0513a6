/**
 * The memory watch: looks at a supervised program's process tree every
 * second, and says when its resident memory stayed above the limit.
 *
 * @module
 */
import { allStats, treeUsage } from "../process/proc.ts";

/** How often a memory limit is checked (ms). */
const MEMORY_EVERY = 1000;

/**
 * Watches the process tree of `watched()` (nothing while it returns null)
 * and calls `overgrown` with its usage (`uses 2.0 MiB (limit 1.0 MiB)`) after
 * two looks in a row above `limit` bytes. Returns what ends the watch.
 */
export function watchMemory(
  limit: number,
  watched: () => number | null,
  overgrown: (usage: string) => void,
): () => void {
  let above = 0;
  const timer = setInterval(() => {
    const pid = watched();
    if (pid === null) {
      above = 0;
      return;
    }
    const rss = treeUsage(descendantsOf(pid)).rssBytes;
    above = rss > limit ? above + 1 : 0;
    if (above < 2) return;
    above = 0;
    overgrown(`uses ${megabytes(rss)} (limit ${megabytes(limit)})`);
  }, MEMORY_EVERY);
  return () => clearInterval(timer);
}

/** `pid` and every process below it. */
function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const stat of allStats()) {
    const list = children.get(stat.ppid);
    if (list) list.push(stat.pid);
    else children.set(stat.ppid, [stat.pid]);
  }
  const found = [pid];
  for (let i = 0; i < found.length; i++) found.push(...children.get(found[i]!) ?? []);
  return found;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
