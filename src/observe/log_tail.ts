/**
 * A daemon's log as `serve` gives it: its last lines, and what is written
 * after them, across rotations (the log path reopened when it is a new
 * file or shorter than what was read).
 *
 * @module
 */
import * as fs from "node:fs";

/** The most lines one request may ask for. */
export const MAX_LINES = 10_000;
const CHUNK = 64 * 1024;
/** How often a followed log is looked at (ms). */
const FOLLOW_EVERY = 250;

/** The last `count` lines of the file at `path`, or undefined when there is none. */
export function lastLines(path: string, count: number): string[] | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    return tailOf(fd, fs.fstatSync(fd).size, count);
  } finally {
    fs.closeSync(fd);
  }
}

/** The last `count` lines of the `size` bytes of the file open on `fd`. */
function tailOf(fd: number, size: number, count: number): string[] {
  if (count <= 0 || size === 0) return [];
  const chunks: Buffer[] = [];
  let newlines = 0;
  let at = size;
  while (at > 0 && newlines <= count) {
    const length = Math.min(CHUNK, at);
    at -= length;
    const chunk = Buffer.alloc(length);
    fs.readSync(fd, chunk, 0, length, at);
    for (const byte of chunk) if (byte === 10) newlines++;
    chunks.unshift(chunk);
  }
  const lines = Buffer.concat(chunks).toString("utf8").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.slice(-count);
}

/**
 * Calls `onLines` with each whole line written to `path` from now on,
 * until the returned function is called. A missing log is waited for.
 */
export function followLog(path: string, onLines: (lines: string[]) => void): () => void {
  let inode = -1;
  let offset = 0;
  let partial = "";
  let decoder = new TextDecoder();
  try {
    const stat = fs.statSync(path);
    inode = stat.ino;
    offset = stat.size;
  } catch {
    // Not there yet: read from its start once it is.
  }
  const look = () => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(path);
    } catch {
      return;
    }
    if (stat.ino !== inode || stat.size < offset) {
      // Rotated or truncated: the new file from its start.
      inode = stat.ino;
      offset = 0;
      partial = "";
      decoder = new TextDecoder();
    }
    if (stat.size === offset) return;
    const length = Math.min(stat.size - offset, 1024 * 1024);
    const buffer = Buffer.alloc(length);
    let fd: number;
    let read = 0;
    try {
      fd = fs.openSync(path, "r");
    } catch {
      return;
    }
    try {
      read = fs.readSync(fd, buffer, 0, length, offset);
      offset += read;
    } finally {
      fs.closeSync(fd);
    }
    const text = partial + decoder.decode(buffer.subarray(0, read), { stream: true });
    const lines = text.split("\n");
    partial = lines.pop()!;
    if (lines.length) onLines(lines);
  };
  const timer = setInterval(look, FOLLOW_EVERY);
  return () => clearInterval(timer);
}
