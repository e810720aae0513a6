/**
 * `daemonize logs NAME [-n N] [-f]`: the last lines of a daemon's log, and
 * with `-f` what is written after them, across rotations (as `tail -F`).
 *
 * @module
 */
import type * as Fs from "node:fs";
import { onSignal } from "../host.ts";
import { printable } from "../text.ts";
import { concat } from "../supervisor/line_cutter.ts";
import type { Output } from "./commands.ts";

const CHUNK = 64 * 1024;
/** `node:fs`, loaded by this command only (a bundle hoists static imports). */
let fs: typeof Fs;
/** How often a followed log is looked at (ms). */
const FOLLOW_EVERY = 200;

/** The last `count` lines of the file open on `fd` (of `size` bytes), and where they end. */
function lastLines(fd: number, size: number, count: number): string[] {
  if (count === 0 || size === 0) return [];
  const chunks: Uint8Array[] = [];
  let newlines = 0;
  let at = size;
  while (at > 0 && newlines <= count) {
    const length = Math.min(CHUNK, at);
    at -= length;
    const chunk = new Uint8Array(length);
    fs.readSync(fd, chunk, 0, length, at);
    for (const byte of chunk) if (byte === 10) newlines++;
    chunks.unshift(chunk);
  }
  const text = new TextDecoder().decode(concat(chunks));
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.slice(-count);
}

/** The lines of `text` as a terminal can show them. */
function shown(text: string, terminal: boolean): string {
  if (!terminal) return text;
  return text.split("\n").map((line, i, all) => i === all.length - 1 ? line : printable(line))
    .join("\n");
}

/**
 * Prints the last `count` lines of `path`; with `follow`, goes on printing
 * what is added, reopening the path when it is rotated, until interrupted.
 */
export async function logsCommand(
  name: string,
  path: string,
  count: number,
  follow: boolean,
  io: Output,
): Promise<number> {
  fs = await import("node:fs");
  let fd: number;
  try {
    fd = fs.openSync(path, "r");
  } catch (error) {
    const code = (error as { code?: string }).code;
    io.err(
      `daemonize: ${name} has no log at ${path}${
        code === "ENOENT" ? " (not started yet, or its output goes elsewhere)" : `: ${code}`
      }\n`,
    );
    return 1;
  }
  const terminal = io.colour;
  let offset = fs.fstatSync(fd).size;
  const lines = lastLines(fd, offset, count);
  if (lines.length) io.out(shown(lines.join("\n") + "\n", terminal));
  if (!follow) {
    fs.closeSync(fd);
    return 0;
  }
  let inode = fs.fstatSync(fd).ino;
  const decoder = new TextDecoder();
  const drain = () => {
    const buffer = new Uint8Array(CHUNK);
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, CHUNK, offset);
      if (n <= 0) break;
      offset += n;
      io.out(shown(decoder.decode(buffer.subarray(0, n), { stream: true }), terminal));
    }
  };
  return await new Promise<number>((resolve) => {
    const timer = setInterval(() => {
      try {
        if (fs.fstatSync(fd).size < offset) offset = 0; // Truncated in place.
        drain();
        let now: Fs.Stats | undefined;
        try {
          now = fs.statSync(path);
        } catch {
          return; // Moved away, the new one not there yet.
        }
        if (now.ino !== inode) {
          // Rotated: the rest of the old file, then the new one from its start.
          drain();
          fs.closeSync(fd);
          fd = fs.openSync(path, "r");
          inode = fs.fstatSync(fd).ino;
          offset = 0;
          drain();
        }
      } catch (error) {
        io.err(`daemonize: cannot follow ${path}: ${(error as Error).message}\n`);
        clearInterval(timer);
        resolve(1);
      }
    }, FOLLOW_EVERY);
    for (const signal of ["SIGINT", "SIGTERM"]) {
      onSignal(signal, () => {
        clearInterval(timer);
        resolve(0);
      });
    }
  });
}
