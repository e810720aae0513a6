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
const NEWLINE_BYTES = new Uint8Array([NEWLINE]);
const encoder = new TextEncoder();

/** One log file, open for appending. */
export class LogFile {
  readonly path: string;
  #maxSize: number | undefined;
  readonly #keep: number;
  #fd: number | undefined;
  /** The same file, not for appending: splices go there. */
  #spliceFd: number | undefined;
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
    this.#forEachPart(bytes, (part) => {
      getLibc().writeAll(this.#fd!, part);
      this.#size += part.length;
    });
  }

  /**
   * Cuts `bytes` (whole lines) into the parts that go into one file each,
   * rotating between them, and has `put` write each into the open file.
   */
  #forEachPart(bytes: Uint8Array, put: (part: Uint8Array) => void): void {
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
      put(part);
      bytes = bytes.subarray(part.length);
    }
  }

  /**
   * Moves `bytes.length` bytes from pipe `pipe` into the file, where `bytes`
   * is what waits at the head of the pipe (seen, not taken, with
   * `peekPipe`): whole lines only, unless `addNewline` ends the last one. The
   * kernel moves them (`splice(2)`), so a byte is either still in the pipe
   * or in the file, whenever this process is killed. With `time`, each line
   * is prefixed with the time. Rotates between lines, as {@link write}.
   * What can't be written is taken from the pipe all the same and dropped
   * (the program must never wait on its log), then the error is thrown.
   */
  moveFrom(pipe: number, bytes: Uint8Array, time: boolean, addNewline: boolean): void {
    let left = bytes.length;
    try {
      this.#forEachPart(bytes, (part) => {
        for (const line of time ? linesOf(part) : [part]) {
          if (time) getLibc().writeAll(this.#fd!, encoder.encode(new Date().toISOString() + " "));
          this.#splice(pipe, line.length);
          left -= line.length;
        }
      });
      if (addNewline) this.write(NEWLINE_BYTES);
    } catch (error) {
      dropFromPipe(pipe, left);
      throw error;
    }
  }

  /** Moves `length` bytes of `pipe` to the file's end. */
  #splice(pipe: number, length: number): void {
    const libc = getLibc();
    // A file opened for appending refuses splices: a second descriptor of
    // the same file is written at its end.
    this.#spliceFd ??= libc.open(
      `/proc/self/fd/${this.#fd}`,
      libc.constants.O_WRONLY | libc.constants.O_CLOEXEC,
      0,
    );
    while (length > 0) {
      const end = libc.fileIdOf(this.#fd!).size;
      let moved: number;
      try {
        moved = libc.movePipe(pipe, this.#spliceFd, length, end);
      } catch (error) {
        const code = (error as { code?: string }).code;
        // A file system that takes no splices: copied through memory.
        if (code !== "EINVAL" && code !== "ENOSYS") throw error;
        this.#copy(pipe, length);
        return;
      }
      if (moved <= 0) throw new Error("the program's output ended early");
      length -= moved;
      this.#size = end + moved;
    }
  }

  /** Reads `length` bytes (waiting in `pipe`) and appends them. */
  #copy(pipe: number, length: number): void {
    const libc = getLibc();
    const bytes = new Uint8Array(length);
    for (let got = 0; got < length;) {
      const n = libc.read(pipe, bytes.subarray(got));
      if (n <= 0) throw new Error("the program's output ended early");
      got += n;
    }
    libc.writeAll(this.#fd!, bytes);
    this.#size += length;
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
    for (const fd of [this.#fd, this.#spliceFd]) {
      if (fd === undefined) continue;
      try {
        getLibc().close(fd);
      } catch {
        // Nothing to do.
      }
    }
    this.#fd = undefined;
    this.#spliceFd = undefined;
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

/** The lines of `bytes`, each with its newline (the last maybe without). */
function linesOf(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  for (let start = 0; start < bytes.length;) {
    const end = bytes.indexOf(NEWLINE, start);
    const stop = end < 0 ? bytes.length : end + 1;
    lines.push(bytes.subarray(start, stop));
    start = stop;
  }
  return lines;
}

/** Takes `length` bytes from `pipe` and drops them. */
export function dropFromPipe(pipe: number, length: number): void {
  const libc = getLibc();
  const scratch = new Uint8Array(Math.min(length, 64 * 1024));
  while (length > 0) {
    let n: number;
    try {
      n = libc.read(pipe, scratch.subarray(0, Math.min(length, scratch.length)));
    } catch {
      return;
    }
    if (n <= 0) return;
    length -= n;
  }
}
