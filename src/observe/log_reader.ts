/**
 * One daemon's log as `logs` and `serve` read it: its last lines, read
 * from the end of the file (never the whole of a big log), then what is
 * written after them, across rotations, truncation, removal and re-creation
 * of the path (as `tail -F`).
 *
 * @module
 */
import type * as Fs from "node:fs";
import { concat } from "../supervisor/line_cutter.ts";

const CHUNK = 64 * 1024;
/** The most one {@link LogReader.read} returns: a burst is printed in parts, never held whole. */
const MOST = 16 * CHUNK;

/** `node:fs`, loaded by `logs` and `serve` only (a bundle hoists static imports). */
let fs: typeof Fs;

/** Loads what reading a log needs; once, before any {@link LogReader} is made. */
export async function loadFs(): Promise<void> {
  fs ??= await import("node:fs");
}

/** The last `count` lines of the file open on `fd` (of `size` bytes), read from its end. */
export function lastLines(fd: number, size: number, count: number): string[] {
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

/** A daemon's log, read at its end and then followed by its path. */
export class LogReader {
  readonly path: string;
  #fd: number | undefined;
  #inode = 0;
  #offset = 0;
  #decoder = new TextDecoder();
  /** The last read stopped at its limit: more is waiting. */
  more = false;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * Opens the log where it ends now; the error's code (`ENOENT`: no log
   * yet) when it can't be, and the path is tried again at each {@link read}.
   */
  open(): string | undefined {
    try {
      this.#fd = fs.openSync(this.path, "r");
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    }
    const stat = fs.fstatSync(this.#fd);
    this.#inode = stat.ino;
    this.#offset = stat.size;
    return undefined;
  }

  /** The last `count` lines before where it was opened, and when it was last written (ms). */
  tail(count: number): { lines: string[]; modified: number } {
    if (this.#fd === undefined) return { lines: [], modified: 0 };
    return {
      lines: lastLines(this.#fd, this.#offset, count),
      modified: fs.fstatSync(this.#fd).mtimeMs,
    };
  }

  /**
   * What was written since the last read: the rest of a file that was
   * rotated away, then the new file at the path from its start; a file
   * truncated in place from its start again. "" when nothing was. At most
   * about 1 MiB at a time: {@link more} says when more is waiting.
   */
  read(): string {
    let text = "";
    this.more = false;
    if (this.#fd === undefined) {
      if (this.open() !== undefined) return "";
      this.#offset = 0; // Created since: all of it is new.
    }
    if (fs.fstatSync(this.#fd!).size < this.#offset) this.#offset = 0; // Truncated in place.
    text += this.#drain();
    if (this.more) return text;
    let now: Fs.Stats;
    try {
      now = fs.statSync(this.path);
    } catch {
      return text; // Moved away or removed, the new one not there yet.
    }
    if (now.ino !== this.#inode) {
      // Rotated: the rest of the old file, then the new one from its start.
      text += this.#drain();
      if (this.more) return text;
      text += this.#decoder.decode();
      this.close();
      this.#decoder = new TextDecoder();
      if (this.open() === undefined) {
        this.#offset = 0;
        text += this.#drain();
      }
    }
    return text;
  }

  #drain(): string {
    const buffer = new Uint8Array(CHUNK);
    let text = "";
    for (let read = 0; read < MOST; read += CHUNK) {
      const n = fs.readSync(this.#fd!, buffer, 0, CHUNK, this.#offset);
      if (n <= 0) break;
      this.#offset += n;
      text += this.#decoder.decode(buffer.subarray(0, n), { stream: true });
      if (read + CHUNK >= MOST) this.more = true;
    }
    return text;
  }

  /** Closes the file. */
  close(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }
}
