/**
 * The lines of several daemons' logs as one: in time order, each prefixed
 * with its daemon's name. Pure: no I/O.
 *
 * A line's time is the ISO 8601 time it begins with (as `--log-time`
 * writes it: `2026-12-07T10:00:00.123Z `), zone included. A line without
 * one takes its predecessor's time; lines before the first with a time take
 * that first one's; a log without any takes the time it was last written.
 * Lines are then merged by time, a daemon's own never reordered (a merge of
 * each log's lines in their order: the earliest next line goes first, and
 * of equal times the daemon named first).
 *
 * @module
 */
import { printable } from "../text.ts";

/** A time at the start of a line, with its zone (Z or ±hh:mm). */
const TIME = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)(?=\s|$)/;

/** The time (ms since the epoch) a line begins with, if it begins with one. */
export function lineTime(line: string): number | undefined {
  const match = TIME.exec(line);
  if (!match) return undefined;
  const zone = match[3]!.length === 5 ? `${match[3]!.slice(0, 3)}:${match[3]!.slice(3)}` : match[3];
  const ms = Date.parse(`${match[1]}T${match[2]}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The time each of `lines` is ordered by: its own, else its predecessor's
 * (`before` for the first: the last time this log showed), else the next
 * line's that has one, else `otherwise`.
 */
export function timesOf(
  lines: readonly string[],
  before: number | undefined,
  otherwise: number,
): number[] {
  const own = lines.map(lineTime);
  const times: number[] = new Array(lines.length);
  let next = otherwise;
  for (let i = lines.length - 1; i >= 0; i--) {
    next = own[i] ?? next;
    times[i] = next;
  }
  let last = before;
  for (let i = 0; i < lines.length; i++) {
    last = own[i] ?? last;
    if (last !== undefined) times[i] = last;
  }
  return times;
}

/** One daemon's lines to merge, and the time each is ordered by. */
export interface Batch {
  /** The index of its daemon, among those shown. */
  readonly daemon: number;
  readonly lines: readonly string[];
  readonly times: readonly number[];
}

/**
 * The lines of `batches` merged in time order, each with its daemon's index:
 * the earliest next line of any batch goes first (of equal times, that of
 * the batch given first), so that each batch keeps its own order.
 */
export function merged(batches: readonly Batch[]): { daemon: number; line: string }[] {
  const out: { daemon: number; line: string }[] = [];
  const at = batches.map(() => 0);
  for (;;) {
    let best = -1;
    for (let b = 0; b < batches.length; b++) {
      const batch = batches[b]!;
      if (at[b]! >= batch.lines.length) continue;
      if (best < 0 || batch.times[at[b]!]! < batches[best]!.times[at[best]!]!) best = b;
    }
    if (best < 0) return out;
    const batch = batches[best]!;
    out.push({ daemon: batch.daemon, line: batch.lines[at[best]!]! });
    at[best]!++;
  }
}

/** Colours a name may take: cyan, yellow, green, magenta, blue and their bright forms. */
const COLOURS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94] as const;

/** The colour of a daemon's name: the same for a name each time (FNV-1a of it). */
export function nameColour(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return COLOURS[hash % COLOURS.length]!;
}

/**
 * The prefixes of the daemons' lines: each name padded to the longest and
 * " | ", the name in its colour when `colour` is on.
 */
export function prefixes(names: readonly string[], colour: boolean): string[] {
  const width = Math.max(0, ...names.map((n) => n.length));
  return names.map((name) => {
    const shown = colour ? `\x1b[${nameColour(name)}m${name}\x1b[0m` : name;
    return `${shown}${" ".repeat(width - name.length)} | `;
  });
}

/**
 * The text of merged lines, each after its daemon's prefix; on a terminal
 * each line is made printable (no control sequence of a log reaches it).
 */
export function prefixed(
  lines: readonly { daemon: number; line: string }[],
  prefixOf: readonly string[],
  terminal: boolean,
): string {
  let text = "";
  for (const { daemon, line } of lines) {
    text += `${prefixOf[daemon]}${terminal ? printable(line) : line}\n`;
  }
  return text;
}
