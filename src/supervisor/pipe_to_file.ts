/**
 * Moving a program's output from its pipe into a file, the kernel's way
 * (`splice(2)`): bytes leave the pipe only as they enter the file, so a
 * supervisor killed at any moment loses none and writes none twice. Used by
 * `LogFile.moveFrom`.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";

const NEWLINE = 10;

/**
 * Moves `length` bytes waiting in `pipe` to the end of file `fd`, through
 * `target`, a descriptor of the same file not opened for appending (a file
 * opened for appending refuses splices); says each part moved to `moved`.
 * Where the file system takes no splices, the bytes are copied through
 * memory instead.
 */
export function spliceToEnd(
  pipe: number,
  fd: number,
  target: number,
  length: number,
  moved: (bytes: number) => void,
): void {
  const libc = getLibc();
  while (length > 0) {
    const end = libc.fileIdOf(fd).size;
    let n: number;
    try {
      n = libc.movePipe(pipe, target, length, end);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== "EINVAL" && code !== "ENOSYS") throw error;
      copyFromPipe(pipe, fd, length, moved);
      return;
    }
    if (n <= 0) throw new Error("the program's output ended early");
    moved(n);
    length -= n;
  }
}

/** The lines of `bytes`, each with its newline (the last maybe without). */
export function linesOf(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  for (let start = 0; start < bytes.length;) {
    const end = bytes.indexOf(NEWLINE, start);
    const stop = end < 0 ? bytes.length : end + 1;
    lines.push(bytes.subarray(start, stop));
    start = stop;
  }
  return lines;
}

/** Reads `length` bytes waiting in `pipe` and appends them to `fd`. */
function copyFromPipe(
  pipe: number,
  fd: number,
  length: number,
  moved: (bytes: number) => void,
): void {
  const libc = getLibc();
  const bytes = new Uint8Array(length);
  for (let got = 0; got < length;) {
    const n = libc.read(pipe, bytes.subarray(got));
    if (n <= 0) throw new Error("the program's output ended early");
    got += n;
  }
  for (let at = 0; at < length;) {
    const n = libc.write(fd, bytes.subarray(at));
    moved(n);
    at += n;
  }
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
