/**
 * A daemon's log as `serve` gives it: its last lines, and what is written
 * after them, across rotations (see `log_reader.ts`, which `logs` reads
 * with too).
 *
 * @module
 */
import { loadFs, LogReader } from "./log_reader.ts";

/** The most lines one request may ask for. */
export const MAX_LINES = 10_000;
/** How often a followed log is looked at (ms). */
const FOLLOW_EVERY = 250;

/** Loads what reading a log needs: once, before the other functions here. */
export const loadLogReading: () => Promise<void> = loadFs;

/** The last `count` lines of the file at `path`, or undefined when there is none. */
export function lastLines(path: string, count: number): string[] | undefined {
  const reader = new LogReader(path);
  if (reader.open() !== undefined) return undefined;
  try {
    return reader.tail(Math.max(0, count)).lines;
  } finally {
    reader.close();
  }
}

/**
 * Calls `onLines` with each whole line written to `path` from now on,
 * until the returned function is called. A missing log is waited for.
 */
export function followLog(path: string, onLines: (lines: string[]) => void): () => void {
  const reader = new LogReader(path);
  // Not there yet: read from its start once it is.
  reader.open();
  let partial = "";
  const look = () => {
    do {
      const lines = (partial + reader.read()).split("\n");
      partial = lines.pop()!;
      if (lines.length) onLines(lines);
    } while (reader.more);
  };
  const timer = setInterval(look, FOLLOW_EVERY);
  return () => {
    clearInterval(timer);
    reader.close();
  };
}
