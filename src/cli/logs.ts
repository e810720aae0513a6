/**
 * `daemonize logs [NAME...] [-n N] [-f]`: the last lines of a daemon's log,
 * and with `-f` what is written after them, across rotations (as `tail -F`).
 * Of several daemons, each one's last lines, interleaved in time order
 * (`logs_merge.ts`), each after its name; `-f` follows them all at once.
 *
 * @module
 */
import type { Output } from "./commands.ts";
import { follow, type Followed, shown } from "./logs_follow.ts";
import { type Batch, lineTime, merged, prefixed, prefixes, timesOf } from "./logs_merge.ts";
import { loadFs, LogReader } from "../observe/log_reader.ts";

/** A daemon whose log is shown, and where its log is. */
export interface ShownLog {
  readonly name: string;
  readonly path: string;
}

/** Why a daemon's log can't be opened, in one line. */
function noLog(log: ShownLog, code: string): string {
  return `daemonize: ${log.name} has no log at ${log.path}${
    code === "ENOENT" ? " (not started yet, or its output goes elsewhere)" : `: ${code}`
  }\n`;
}

/**
 * Prints the last `count` lines of one daemon's log at `path`; with
 * `follow`, goes on printing what is added, reopening the path when it is
 * rotated, until interrupted.
 */
export async function logsCommand(
  name: string,
  path: string,
  count: number,
  following: boolean,
  io: Output,
): Promise<number> {
  await loadFs();
  const reader = new LogReader(path);
  const code = reader.open();
  if (code !== undefined) {
    io.err(noLog({ name, path }, code));
    return 1;
  }
  const { lines } = reader.tail(count);
  if (lines.length) {
    const text = lines.join("\n") + "\n";
    io.out(io.colour ? shown(text) : text);
  }
  if (!following) {
    reader.close();
    return 0;
  }
  return await follow([{ name, reader, lastTime: undefined }], undefined, io);
}

/**
 * Prints the last `count` lines of each of `logs` (two or more), in time
 * order, each after its daemon's name; with `follow`, goes on printing what
 * any of them is added, the same way, until interrupted. A log not there
 * is said on standard error (status 1 without `follow`; followed, it shows
 * once it is created).
 */
export async function logsOfSet(
  logs: readonly ShownLog[],
  count: number,
  following: boolean,
  io: Output,
): Promise<number> {
  await loadFs();
  let status = 0;
  const readers = logs.map((log) => {
    const reader = new LogReader(log.path);
    const code = reader.open();
    if (code !== undefined) {
      io.err(noLog(log, code));
      if (!following) status = 1;
    }
    return reader;
  });
  const batches: Batch[] = [];
  const followed: Followed[] = logs.map((log, i) => {
    const { lines, modified } = readers[i]!.tail(count);
    batches.push({ daemon: i, lines, times: timesOf(lines, undefined, modified) });
    let lastTime: number | undefined;
    for (const line of lines) lastTime = lineTime(line) ?? lastTime;
    return { name: log.name, reader: readers[i]!, lastTime };
  });
  const prefixOf = prefixes(logs.map((log) => log.name), io.colour);
  const text = prefixed(merged(batches), prefixOf, io.colour);
  if (text) io.out(text);
  if (!following) {
    for (const reader of readers) reader.close();
    return status;
  }
  return (await follow(followed, prefixOf, io)) || status;
}
