/**
 * Checks of what is at a pid file's path: whether it may be used, and what
 * it is when it names no daemon of ours, in words.
 *
 * @module
 */
import { type FileId, getLibc } from "../../ffi/libc.ts";
import { isRunning } from "./proc.ts";

/**
 * What the file at `path` is when it names no daemon of ours, in words for
 * a status line (`it holds no pid: "hello"`, `it is a directory, not a pid
 * file`); undefined when there is no file. `read` reads the pid it holds.
 */
export function describePidFile(path: string, read: () => number | undefined): string | undefined {
  const libc = getLibc();
  let id: FileId;
  try {
    id = libc.fileIdAt(path);
  } catch {
    return undefined;
  }
  const type = id.mode & 0o170000;
  if (type !== 0o100000) return `it is ${fileType(type)}, not a pid file`;
  let text: string;
  try {
    const fd = libc.open(path, libc.constants.O_NONBLOCK | libc.constants.O_CLOEXEC);
    try {
      const buffer = new Uint8Array(64);
      text = new TextDecoder().decode(buffer.subarray(0, libc.read(fd, buffer)));
    } finally {
      libc.close(fd);
    }
  } catch {
    return "it can't be read by this user";
  }
  const pid = read();
  if (pid === undefined) {
    return text.trim() === ""
      ? "it is empty"
      : `it holds no pid: ${JSON.stringify(text.split("\n")[0]!.slice(0, 40))}`;
  }
  if (isRunning(pid)) {
    return `it names pid ${pid}, a process this pid file does not prove its own`;
  }
  return `it names pid ${pid}, which has ended`;
}

/**
 * Why the pid file at `path` must not be used, or undefined: a file that is not a
 * regular file, or a directory anyone may write to without the sticky bit
 * (another user could put a file of theirs in its place).
 */
export function unsafePidFile(path: string): string | undefined {
  const libc = getLibc();
  const slash = path.lastIndexOf("/");
  const directory = slash < 0 ? "." : path.slice(0, slash) || "/";
  try {
    const mode = libc.fileIdAt(directory).mode;
    if ((mode & 0o002) !== 0 && (mode & 0o1000) === 0) {
      return `its directory ${directory} is writable by anyone and has no sticky bit, so another user could replace it`;
    }
  } catch {
    // No directory: the start says so when it creates the file.
  }
  try {
    const type = libc.fileIdAt(path).mode & 0o170000;
    if (type !== 0o100000) return `it is ${fileType(type)}, not a pid file: remove it`;
  } catch {
    // No file yet.
  }
  return undefined;
}

/** A file type (`st_mode & S_IFMT`) in words. */
function fileType(type: number): string {
  return ({
    0o040000: "a directory",
    0o010000: "a FIFO",
    0o140000: "a socket",
    0o020000: "a character device",
    0o060000: "a block device",
    0o120000: "a symbolic link",
  } as Record<number, string>)[type] ?? "not a regular file";
}
