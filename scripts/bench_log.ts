/**
 * Log throughput: lines/s and MB/s of the Logger (rotating and not) next to
 * plain appending of the same bytes to a file, in one run, medians of 5.
 *
 *   deno run -A scripts/bench_log.ts     # or: bun scripts/bench_log.ts
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLibc } from "../ffi/libc.ts";
import { Logger } from "../mod.ts";

const LINES = 100_000;
const RUNS = 5;
const message = `request served ${"x".repeat(60)}`;
const dir = mkdtempSync(join(tmpdir(), "daemonize-logbench-"));

/** Bytes in `path` and its rotated backups. */
function written(path: string): number {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return readdirSync(dir)
    .filter((f) => f === name || f.startsWith(`${name}.`))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

function measure(label: string, run: (path: string) => number): string {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const path = join(dir, `${label.replace(/\W+/g, "_")}-${i}.log`);
    const started = performance.now();
    bytes = run(path);
    times.push(performance.now() - started);
  }
  const ms = median(times);
  const perSecond = (LINES / ms) * 1000;
  const mbPerSecond = (bytes / 1e6 / ms) * 1000;
  return `| ${label} | ${(perSecond / 1000).toFixed(0)}k | ${mbPerSecond.toFixed(1)} | ${
    ms.toFixed(0)
  } |`;
}

const rows = [
  measure("plain append (one write per line)", (path) => {
    const libc = getLibc();
    const c = libc.constants;
    const fd = libc.open(path, c.O_WRONLY | c.O_CREAT | c.O_APPEND | c.O_CLOEXEC, 0o644);
    const encoder = new TextEncoder();
    let bytes = 0;
    for (let i = 0; i < LINES; i++) {
      const line = encoder.encode(`${new Date().toISOString()} INFO  ${message} ${i}\n`);
      libc.writeAll(fd, line);
      bytes += line.length;
    }
    libc.close(fd);
    return bytes;
  }),
  measure("Logger, no rotation", (path) => {
    const log = new Logger(path, { reopenOn: null });
    for (let i = 0; i < LINES; i++) log.info(message, i);
    log.close();
    return written(path);
  }),
  measure("Logger, rotating every 1 MB", (path) => {
    const log = new Logger(path, { maxBytes: 1_000_000, backups: 20, reopenOn: null });
    for (let i = 0; i < LINES; i++) log.info(message, i);
    log.close();
    return written(path);
  }),
];
rmSync(dir, { recursive: true, force: true });
const runtime = "Deno" in globalThis ? "Deno" : "Bun";
console.log(`Log throughput under ${runtime}, ${LINES} lines of ~100 bytes, median of ${RUNS}\n`);
console.log("| writer | lines/s | MB/s | ms |");
console.log("|---|---|---|---|");
for (const row of rows) console.log(row);
