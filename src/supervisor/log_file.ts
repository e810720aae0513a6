/**
 * A log file a supervisor writes a program's output to, line by line, and
 * rotates by renaming (`app.log` → `app.log.1` → … → `app.log.N`) and
 * opening a new file: never copy-and-truncate, so no line is lost while it
 * rotates, and none is split across two files.
 *
 * The file is kept at its path without a signal: a write that comes 1 s or
 * more after the last look compares the open file (`fstat`) with the file at
 * the path (`stat`), and when the path names another file or none (removed,
 * or moved by an external rotation) the path is opened again, and created.
 * The look is made at write time only, never on a timer, so an idle
 * supervisor stays idle; a removal is noticed at the first line written 1 s
 * or more after the last look. The same look sees a file truncated in place
 * (logrotate's `copytruncate`) and counts its size anew.
 *
 * A write never holds the program up: one that fails (a full disk, a
 * read-only file system, a quota, a path that cannot be opened again) is not
 * kept for later. Its lines are counted (`DroppedLines`: counts and times,
 * no text, so the memory held is the write in hand and nothing more), a write
 * that failed part way is cut back so that no part of a line stays, and the
 * first write that works again is preceded by one line saying how many lines
 * were lost, between which times and why.
 *
 * Every write to the file goes through one private method (`#attempt`),
 * which makes the look and keeps that count.
 *
 * @module
 */
import { getLibc, SysCallError } from "../../ffi/libc.ts";
import { DroppedLines } from "./dropped_lines.ts";
import { dropFromPipe, linesOf, spliceToEnd } from "./pipe_to_file.ts";

/** How a {@link LogFile} is kept. */
export interface LogFileOptions {
  /** Rotate before a write would make the file larger than this (bytes); undefined: never. */
  readonly maxSize?: number | undefined;
  /** Rotated files kept (`PATH.1` … `PATH.N`); default 5. */
  readonly keep?: number | undefined;
  /** Prefix the log's own lines (what was lost) with an ISO 8601 time (UTC). */
  readonly time?: boolean | undefined;
  /** How often, at most, a write compares the path with the open file (ms); default 1000. */
  readonly lookEvery?: number | undefined;
  /** Called with the error when lines begin to be lost (once each time writes stop working). */
  readonly onLoss?: ((error: unknown) => void) | undefined;
}

/**
 * A write to the open file `fd`: it calls `moved` with the byte count of each
 * part that reached the file, and throws if it could not write it all.
 */
export type WriteOp = (fd: number, moved: (bytes: number) => void) => void;

const NEWLINE = 10;
const NEWLINE_BYTES = new Uint8Array([NEWLINE]);
const encoder = new TextEncoder();

/** One log file, open for appending. */
export class LogFile {
  readonly path: string;
  #maxSize: number | undefined;
  readonly #keep: number;
  readonly #time: boolean;
  readonly #lookEvery: number;
  readonly #onLoss: ((error: unknown) => void) | undefined;
  /** Undefined after an open failed: the next write tries again. */
  #fd: number | undefined;
  /** The same file, not for appending: splices go there (opened for `#spliceOf`). */
  #spliceFd: number | undefined;
  #spliceOf: number | undefined;
  #size = 0;
  #lookedAt = 0;
  readonly #dropped = new DroppedLines();

  /** Opens (creating) `path` for appending; throws if it cannot. */
  constructor(path: string, options: LogFileOptions = {}) {
    this.path = path;
    this.#maxSize = options.maxSize;
    this.#keep = options.keep ?? 5;
    this.#time = !!options.time;
    this.#lookEvery = options.lookEvery ?? 1000;
    this.#onLoss = options.onLoss;
    const failure = this.#reopen();
    if (failure !== undefined) throw failure;
  }

  /** Lines that could not be written since the file was opened. */
  get droppedLines(): number {
    return this.#dropped.totalLines;
  }

  /** Bytes that could not be written since the file was opened. */
  get droppedBytes(): number {
    return this.#dropped.totalBytes;
  }

  /** Writes `bytes`, which hold whole lines only, rotating between lines. */
  write(bytes: Uint8Array): void {
    this.#forEachPart(bytes, (part) => {
      this.#attempt(part.length, () => linesIn(part), (fd, moved) => writeAll(fd, part, moved));
    });
  }

  /**
   * Moves `bytes.length` bytes from pipe `pipe` into the file, where `bytes`
   * is what waits at the head of the pipe (seen, not taken, with
   * `peekPipe`): whole lines only, unless `addNewline` ends the last one.
   * The kernel moves them (`splice(2)`): a byte is either still in the pipe
   * or in the file, whenever this process is killed. With `time`, each line
   * is prefixed with the time. Rotates between lines, as {@link write}.
   * Lines the file can't take are taken from the pipe all the same, and
   * counted as lost: the program never waits on its log.
   */
  moveFrom(pipe: number, bytes: Uint8Array, time: boolean, addNewline: boolean): void {
    let left = bytes.length;
    this.#forEachPart(bytes, (part) => {
      const ends = addNewline && part.length === left;
      const lines = time ? linesOf(part) : [part];
      const stamp = time ? encoder.encode(new Date().toISOString() + " ") : undefined;
      let taken = 0;
      const size = part.length + (stamp ? stamp.length * lines.length : 0) + (ends ? 1 : 0);
      this.#attempt(size, () => lines.length, (fd, moved) => {
        for (const line of lines) {
          if (stamp) writeAll(fd, stamp, moved);
          this.#splice(pipe, fd, line.length, (n) => {
            taken += n;
            moved(n);
          });
        }
        if (ends) writeAll(fd, NEWLINE_BYTES, moved);
      });
      // Not written (or cut back): gone from the pipe all the same.
      if (taken < part.length) dropFromPipe(pipe, part.length - taken);
      left -= part.length;
    });
  }

  /**
   * Moves `length` bytes of `pipe` to the end of the open file `fd`, saying
   * each part moved to `moved`.
   */
  #splice(pipe: number, fd: number, length: number, moved: (bytes: number) => void): void {
    const libc = getLibc();
    // A file opened for appending refuses splices: a second descriptor of
    // the same file is written at its end.
    if (this.#spliceOf !== fd) {
      this.#closeSplice();
      this.#spliceFd = libc.open(
        `/proc/self/fd/${fd}`,
        libc.constants.O_WRONLY | libc.constants.O_CLOEXEC,
        0,
      );
      this.#spliceOf = fd;
    }
    spliceToEnd(pipe, fd, this.#spliceFd!, length, moved);
  }

  #closeSplice(): void {
    if (this.#spliceFd === undefined) return;
    try {
      getLibc().close(this.#spliceFd);
    } catch {
      // Nothing to do.
    }
    this.#spliceFd = undefined;
    this.#spliceOf = undefined;
  }

  /**
   * Cuts `bytes` (whole lines) into the parts that go into one file each,
   * rotating between them, and has `put` write each.
   */
  #forEachPart(bytes: Uint8Array, put: (part: Uint8Array) => void): void {
    this.#look();
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
      put(part);
      bytes = bytes.subarray(part.length);
    }
  }

  /**
   * The one way to the file: makes the look (at most once a second), opens
   * the path if it is not open, and runs `op`, a write of `bytes` bytes
   * holding `lines()` lines, after the note of lines lost, if any (the two
   * stand or fall together, so the note is written once). If anything fails,
   * those lines are counted as lost. Returns whether they were written.
   */
  #attempt(bytes: number, lines: () => number, op: WriteOp): boolean {
    this.#look();
    let failure = this.#fd === undefined ? this.#reopen() : undefined;
    if (failure === undefined) {
      if (this.#dropped.pending) {
        const stamp = this.#time ? new Date().toISOString() + " " : "";
        const note = encoder.encode(`${stamp}${this.#dropped.note()}\n`);
        failure = this.#run(note.length + bytes, (fd, moved) => {
          writeAll(fd, note, moved);
          op(fd, moved);
        });
        if (failure === undefined) this.#dropped.told();
      } else failure = this.#run(bytes, op);
    }
    if (failure === undefined) return true;
    if (this.#dropped.add(lines(), bytes, failure)) {
      try {
        this.#onLoss?.(failure);
      } catch {
        // Said nowhere: the count stays.
      }
    }
    return false;
  }

  /** Runs `op` on the open file; returns its error, after cutting back what it wrote. */
  #run(bytes: number, op: WriteOp): unknown {
    const fd = this.#fd!;
    let moved = 0;
    try {
      op(fd, (n) => moved += n);
      this.#size += bytes;
      return undefined;
    } catch (error) {
      if (moved > 0) cutBack(fd, moved);
      return error;
    }
  }

  /**
   * Compares the open file with the path's, 1 s or more after the last look:
   * another file or none there, and the path is opened again.
   */
  #look(): void {
    const now = performance.now();
    if (now - this.#lookedAt < this.#lookEvery || this.#fd === undefined) return;
    this.#lookedAt = now;
    const libc = getLibc();
    let open, there;
    try {
      open = libc.fileIdOf(this.#fd);
      there = libc.fileIdAt(this.path);
    } catch (error) {
      const gone = error instanceof SysCallError && ["ENOENT", "ENOTDIR"].includes(error.code);
      // The path can't be looked at (but is there): write on to the file open.
      if (open && !gone) return;
    }
    if (open && there?.dev === open.dev && there.ino === open.ino) {
      // Truncated in place (copytruncate), or written by another: its size is the file's.
      this.#size = open.size;
      return;
    }
    this.#reopen();
  }

  /** Opens the path (again); returns the error if it could not. */
  #reopen(): unknown {
    this.#close();
    this.#lookedAt = performance.now();
    const libc = getLibc();
    const c = libc.constants;
    try {
      // Non-blocking: a FIFO put at the path is refused (ENXIO) or written without waiting.
      const flags = c.O_WRONLY | c.O_CREAT | c.O_APPEND | c.O_CLOEXEC | c.O_NONBLOCK;
      this.#fd = libc.open(this.path, flags, 0o644);
      this.#size = libc.fileIdOf(this.#fd).size;
      return undefined;
    } catch (error) {
      this.#close();
      this.#size = 0;
      return error;
    }
  }

  /**
   * Renames the file to `PATH.1` (shifting older ones up) and starts a new
   * one; if the new one can't be opened, lines are counted until it can.
   */
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
    this.#reopen();
  }

  /** Opens the path again (after an external rotation); throws if it cannot. */
  reopen(): void {
    const failure = this.#reopen();
    if (failure !== undefined) throw failure;
  }

  #close(): void {
    this.#closeSplice();
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

/** Writes all of `bytes` to `fd`, saying each part written to `moved`. */
function writeAll(fd: number, bytes: Uint8Array, moved: (bytes: number) => void): void {
  const libc = getLibc();
  while (bytes.length > 0) {
    const n = libc.write(fd, bytes);
    moved(n);
    bytes = bytes.subarray(n);
  }
}

/** Takes the last `moved` bytes off the file: a write that failed leaves no part of a line. */
function cutBack(fd: number, moved: number): void {
  const libc = getLibc();
  try {
    libc.truncate(fd, libc.fileIdOf(fd).size - moved);
  } catch {
    // The part stays.
  }
}

/** The lines in `bytes` (a part without a newline counts as one). */
function linesIn(bytes: Uint8Array): number {
  let lines = 0;
  for (let at = bytes.indexOf(NEWLINE); at >= 0; at = bytes.indexOf(NEWLINE, at + 1)) lines++;
  return lines || 1;
}
