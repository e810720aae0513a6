/**
 * `logs -f`: what is written to the daemons' logs, as it comes, until
 * SIGINT or SIGTERM, or until nobody reads the output any more (a closed
 * pipe: `logs -f | head` ends). Each log is looked at five times a second.
 *
 * @module
 */
import { onSignal } from "../host.ts";
import { printable } from "../text.ts";
import type { Output } from "./commands.ts";
import type { LogReader } from "../observe/log_reader.ts";
import { type Batch, lineTime, merged, prefixed, timesOf } from "./logs_merge.ts";

/** How often the logs are looked at (ms). */
const FOLLOW_EVERY = 200;
/** A line longer than this is printed in parts rather than held for its end. */
const LONGEST_LINE = 64 * 1024;

/** A log followed, and what it showed last. */
export interface Followed {
  readonly name: string;
  readonly reader: LogReader;
  /** The last time a line of it showed (ms since the epoch), if one did. */
  lastTime: number | undefined;
}

/**
 * Follows `logs` until interrupted. One log's text is printed as it comes;
 * several logs' whole lines each after its daemon's prefix (`prefixOf`), in
 * time order within each look. Resolves with 0, or 1 when a log could no
 * longer be read.
 */
export function follow(
  logs: readonly Followed[],
  prefixOf: readonly string[] | undefined,
  io: Output,
): Promise<number> {
  const terminal = io.colour;
  const pending = logs.map(() => "");
  const live = new Set(logs.keys());
  let status = 0;

  /** One read of each log; whether any has more waiting. */
  const round = (): boolean => {
    const batches: Batch[] = [];
    let more = false;
    const now = Date.now();
    for (const i of live) {
      const log = logs[i]!;
      let text: string;
      try {
        text = log.reader.read();
      } catch (error) {
        io.err(`daemonize: cannot follow ${log.reader.path}: ${(error as Error).message}\n`);
        live.delete(i);
        status = 1;
        continue;
      }
      more ||= log.reader.more;
      if (!text) continue;
      if (!prefixOf) {
        io.out(terminal ? shown(text) : text);
        continue;
      }
      const lines = (pending[i] + text).split("\n");
      pending[i] = lines.pop()!;
      if (pending[i]!.length >= LONGEST_LINE) {
        lines.push(pending[i]!);
        pending[i] = "";
      }
      if (!lines.length) continue;
      batches.push({ daemon: i, lines, times: timesOf(lines, log.lastTime, now) });
      for (const line of lines) log.lastTime = lineTime(line) ?? log.lastTime;
    }
    if (batches.length) io.out(prefixed(merged(batches), prefixOf!, terminal));
    return more;
  };

  return new Promise<number>((resolve) => {
    const stops: (() => void)[] = [];
    const end = (code: number) => {
      clearInterval(timer);
      for (const stop of stops) stop();
      for (const log of logs) log.reader.close();
      resolve(code);
    };
    const timer = setInterval(() => {
      if (io.gone?.()) return end(status);
      while (round()) if (io.gone?.()) return end(status);
      if (!live.size) end(status);
    }, FOLLOW_EVERY);
    for (const signal of ["SIGINT", "SIGTERM"]) stops.push(onSignal(signal, () => end(status)));
  });
}

/** Text as a terminal can show it: each whole line printable, the last part as it is. */
export function shown(text: string): string {
  return text.split("\n").map((line, i, all) => i === all.length - 1 ? line : printable(line))
    .join("\n");
}
