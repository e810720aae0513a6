/**
 * A log file a supervisor writes a program's output to, line by line, and
 * rotates by renaming (`app.log` → `app.log.1` → … → `app.log.N`) and
 * opening a new file: never copy-and-truncate, so no line is lost while it
 * rotates, and none is split across two files.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";

/** How a {@link LogFile} is kept. */
export interface LogFileOptions {
  /** Rotate before a write would make the file larger than this (bytes); undefined: never. */
  readonly maxSize?: number | undefined;
  /** Rotated files kept (`PATH.1` … `PATH.N`); default 5. */
  readonly keep?: number | undefined;
  /** Prefix every line with an ISO 8601 time (UTC). */
  readonly time?: boolean | undefined;
}

const NEWLINE = 10;
/** A line longer than this is written in parts rather than held. */
const LONGEST_LINE = 64 * 1024;
const encoder = new TextEncoder();

/** One log file, open for appending. */
export class LogFile {
  readonly path: string;
  #maxSize: number | undefined;
  readonly #keep: number;
  #fd: number | undefined;
  #size = 0;

  /** Opens (creating) `path` for appending. */
  constructor(path: string, options: LogFileOptions = {}) {
    this.path = path;
    this.#maxSize = options.maxSize;
    this.#keep = options.keep ?? 5;
    this.#open();
  }

  #open(): void {
    const libc = getLibc();
    const c = libc.constants;
    this.#fd = libc.open(this.path, c.O_WRONLY | c.O_CREAT | c.O_APPEND | c.O_CLOEXEC, 0o644);
    this.#size = libc.fileIdOf(this.#fd).size;
  }

  /** Writes `bytes`, which hold whole lines only, rotating between lines. */
  write(bytes: Uint8Array): void {
    const libc = getLibc();
    while (bytes.length > 0) {
      const max = this.#maxSize;
      let part = bytes;
      if (max !== undefined && this.#size + bytes.length > max) {
        // As many whole lines as still fit; none fit: rotate first.
        const room = max - this.#size;
        const fit = room > 0 ? bytes.lastIndexOf(NEWLINE, room - 1) : -1;
        if (fit < 0 && this.#size > 0) {
          this.rotate();
          // Not rotated (the directory refused): write on, and stop trying.
          if (this.#size > 0) this.#maxSize = undefined;
          continue;
        }
        // A line larger than the limit on its own goes whole into a new file.
        const end = fit < 0 ? bytes.indexOf(NEWLINE) : fit;
        part = bytes.subarray(0, end < 0 ? bytes.length : end + 1);
      }
      if (this.#fd === undefined) this.#open();
      libc.writeAll(this.#fd!, part);
      this.#size += part.length;
      bytes = bytes.subarray(part.length);
    }
  }

  /** Renames the file to `PATH.1` (shifting older ones up) and starts a new one. */
  rotate(): void {
    const libc = getLibc();
    this.#close();
    try {
      if (this.#keep === 0) libc.unlink(this.path);
      else {
        for (let n = this.#keep - 1; n >= 1; n--) {
          try {
            libc.rename(`${this.path}.${n}`, `${this.path}.${n + 1}`);
          } catch {
            // Not there yet.
          }
        }
        libc.rename(this.path, `${this.path}.1`);
      }
    } catch {
      // Moved away by someone else meanwhile: a new file is opened all the same.
    }
    this.#open();
  }

  /** Opens the path again (after an external rotation moved the file away). */
  reopen(): void {
    this.#close();
    this.#open();
  }

  #close(): void {
    if (this.#fd === undefined) return;
    try {
      getLibc().close(this.#fd);
    } catch {
      // Nothing to do.
    }
    this.#fd = undefined;
  }

  /** Closes the file. */
  close(): void {
    this.#close();
  }
}

/**
 * Cuts one stream's bytes into whole lines for a {@link LogFile}: a partial
 * line waits for its end (up to 64 KiB), and what is left at the end of the
 * stream is written with a newline added.
 */
export class LineCutter {
  readonly #log: LogFile;
  readonly #time: boolean;
  #pending: Uint8Array = new Uint8Array(0);

  /** Lines go to `log`, each prefixed with the time when `time` is set. */
  constructor(log: LogFile, time = false) {
    this.#log = log;
    this.#time = time;
  }

  /** Takes the next chunk of the stream. */
  push(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.#pending.length) {
      const joined = new Uint8Array(this.#pending.length + chunk.length);
      joined.set(this.#pending);
      joined.set(chunk, this.#pending.length);
      bytes = joined;
    }
    const last = bytes.lastIndexOf(NEWLINE);
    if (last < 0 && bytes.length < LONGEST_LINE) {
      this.#pending = bytes.slice();
      return;
    }
    const whole = last < 0 ? bytes.length : last + 1;
    this.#pending = bytes.slice(whole);
    this.#emit(bytes.subarray(0, whole), last < 0);
  }

  /** Writes what is left of the stream (a last line without a newline). */
  end(): void {
    if (!this.#pending.length) return;
    const rest = this.#pending;
    this.#pending = new Uint8Array(0);
    this.#emit(rest, true);
  }

  #emit(bytes: Uint8Array, addNewline: boolean): void {
    if (!this.#time) {
      this.#log.write(addNewline ? withNewline(bytes) : bytes);
      return;
    }
    const stamp = encoder.encode(new Date().toISOString() + " ");
    const lines: Uint8Array[] = [];
    let start = 0;
    while (start < bytes.length) {
      const end = bytes.indexOf(NEWLINE, start);
      const stop = end < 0 ? bytes.length : end + 1;
      lines.push(stamp, bytes.subarray(start, stop));
      if (end < 0) lines.push(new Uint8Array([NEWLINE]));
      start = stop;
    }
    this.#log.write(concat(lines));
  }
}

/** Writes one line of text (a supervisor's own message) to `log`. */
export function logLine(log: LogFile, text: string, time = false): void {
  const stamp = time ? new Date().toISOString() + " " : "";
  log.write(encoder.encode(`${stamp}${text}\n`));
}

function withNewline(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = NEWLINE;
  return out;
}

/** The bytes of `parts`, one after another. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
