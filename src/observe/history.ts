/**
 * Each daemon's CPU and memory over the last hour, as `serve` samples
 * them: kept in memory only, one point per {@link POINT_EVERY} at most.
 *
 * @module
 */
import type { StatusReport } from "./status_report.ts";

/** How far back the history goes (ms). */
export const HISTORY_SPAN = 60 * 60 * 1000;
/** The closest two kept points may be (ms); samples between them update the table only. */
export const POINT_EVERY = 10_000;

/** The shortest interval CPU use is measured over (ms). */
const MIN_INTERVAL = 1000;

/** One sample of a daemon. */
export interface Point {
  /** When (ms since the epoch). */
  readonly t: number;
  /** CPU use since the sample before (100 = one CPU), when known. */
  readonly cpu: number | null;
  /** Resident memory of the program's processes (bytes), when running. */
  readonly rss: number | null;
}

/** The samples of every daemon seen over the last hour. */
export class History {
  readonly #points = new Map<string, Point[]>();
  readonly #last = new Map<
    string,
    { t: number; cpuSeconds: number; pid: number | null; cpu: number | null }
  >();

  /**
   * Takes the reports of a sample made at `now`: each daemon's CPU % over
   * the time since its sample before (by its CPU seconds), and its memory.
   * Returns the points made (kept or not), by name.
   */
  record(reports: readonly StatusReport[], now: number): Map<string, Point> {
    const made = new Map<string, Point>();
    const seen = new Set<string>();
    for (const r of reports) {
      seen.add(r.name);
      const running = r.state === "running";
      const seconds = running ? r.cpuSeconds : null;
      const before = this.#last.get(r.name);
      let cpu: number | null = null;
      const same = seconds !== null && before !== undefined && before.pid === r.pid;
      if (same && now - before.t < MIN_INTERVAL) {
        // Too soon to measure: the interval before still tells.
        cpu = before.cpu;
      } else {
        if (same) {
          cpu = Math.max(0, (seconds - before.cpuSeconds) / ((now - before.t) / 1000) * 100);
          cpu = Math.round(cpu * 10) / 10;
        }
        if (seconds !== null) {
          this.#last.set(r.name, { t: now, cpuSeconds: seconds, pid: r.pid, cpu });
        } else this.#last.delete(r.name);
      }
      const point: Point = { t: now, cpu, rss: running ? r.rssBytes : null };
      made.set(r.name, point);
      const points = this.#points.get(r.name) ?? [];
      const latest = points[points.length - 1];
      if (!latest || now - latest.t >= POINT_EVERY) points.push(point);
      while (points.length && points[0]!.t < now - HISTORY_SPAN) points.shift();
      this.#points.set(r.name, points);
    }
    // A daemon no longer known has no history.
    for (const name of [...this.#points.keys()]) {
      if (!seen.has(name)) {
        this.#points.delete(name);
        this.#last.delete(name);
      }
    }
    return made;
  }

  /** The points of the daemon called `name`, oldest first. */
  of(name: string): readonly Point[] {
    return this.#points.get(name) ?? [];
  }

  /** Every daemon's points. */
  all(): Record<string, readonly Point[]> {
    return Object.fromEntries(this.#points);
  }
}
