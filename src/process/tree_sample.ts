/**
 * What a group of processes (a daemon's program tree) uses now: resident
 * memory, CPU time, how many they are, and, from two looks a moment apart,
 * their CPU use over that moment rather than over their whole lives.
 *
 * @module
 */
import { bootTimeSeconds, CLOCK_TICKS, isEnded, readStat, readStatus } from "./proc.ts";

/** One look at a tree: each live process's CPU ticks, and when it was taken. */
export interface TreeSample {
  /** Monotonic time of the look, in milliseconds. */
  readonly at: number;
  /** Each process's own CPU ticks, by pid and start time (`pid@start`). */
  readonly ticks: ReadonlyMap<string, number>;
}

/** What a tree uses now. */
export interface TreeMeasure {
  /** Resident memory of all its processes, in bytes. */
  readonly rssBytes: number;
  /** CPU time its processes used, their ended children's included, in seconds. */
  readonly cpuSeconds: number;
  /** How many of them run. */
  readonly processes: number;
  /** The look the CPU use over the next moment is measured from. */
  readonly sample: TreeSample;
}

/** Resident memory, CPU time and count of `pids` now (those gone meanwhile count nothing). */
export function measureTree(pids: readonly number[]): TreeMeasure {
  let rssBytes = 0;
  let ticks = 0;
  const seen = new Map<string, number>();
  for (const pid of new Set(pids)) {
    const stat = readStat(pid);
    if (!stat || isEnded(stat.state)) continue;
    rssBytes += readStatus(pid)?.rssBytes ?? 0;
    ticks += stat.cpuTicks + stat.childTicks;
    seen.set(`${pid}@${stat.startTicks}`, stat.cpuTicks);
  }
  return {
    rssBytes,
    cpuSeconds: ticks / CLOCK_TICKS,
    processes: seen.size,
    sample: { at: performance.now(), ticks: seen },
  };
}

/**
 * CPU use (100 = one CPU busy) of the processes of `sample` between it and
 * now, rounded to a tenth. Only processes seen both times count: one that
 * ended meanwhile, or started, adds nothing.
 */
export function cpuPercentSince(sample: TreeSample): number {
  const seconds = (performance.now() - sample.at) / 1000;
  if (seconds <= 0) return 0;
  let used = 0;
  for (const [key, before] of sample.ticks) {
    const [pid, start] = key.split("@").map(Number);
    const stat = readStat(pid!);
    if (!stat || stat.startTicks !== start || isEnded(stat.state)) continue;
    used += Math.max(0, stat.cpuTicks - before);
  }
  return Math.round((used / CLOCK_TICKS / seconds) * 1000) / 10;
}

/** When process `pid` started (ISO 8601, UTC); null when it is gone or the boot time unknown. */
export function startTimeOf(pid: number): string | null {
  const stat = readStat(pid);
  const boot = bootTimeSeconds();
  if (!stat || boot === undefined) return null;
  return new Date(boot * 1000 + Math.round(stat.startTicks * (1000 / CLOCK_TICKS))).toISOString();
}
