/**
 * The lock of a pid file: an exclusive `flock(2)` taken for a check-and-write
 * or a removal and let go right after, on the file that is at the path when
 * it is held (a file replaced meanwhile is opened again).
 *
 * @module
 */
import { type FileId, getLibc, SysCallError } from "../../ffi/libc.ts";
import { asDaemonError, DaemonError } from "../errors.ts";

/**
 * Opens the pid file at `path` and takes its lock, waiting up to `ms` for
 * another holder; undefined when it stays taken (or, without `create`, when
 * there is no file). A file replaced while we waited is opened again.
 * @throws {DaemonError} of step `"pid-file"` when it can't be opened or locked.
 */
export function lockPidFile(path: string, ms: number, create: boolean): number | undefined {
  const libc = getLibc();
  const c = libc.constants;
  const what = `cannot lock pid file ${path}`;
  const deadline = Date.now() + ms;
  for (;;) {
    let fd: number;
    try {
      fd = libc.open(path, c.O_RDWR | c.O_NOFOLLOW | c.O_CLOEXEC | (create ? c.O_CREAT : 0), 0o644);
    } catch (error) {
      if (!create) return undefined;
      if (error instanceof SysCallError && error.code === "ELOOP") {
        throw new DaemonError(
          "pid-file",
          `${what}: it is a symbolic link, which is not followed`,
          { code: error.code, cause: error },
        );
      }
      throw asDaemonError("pid-file", what, error);
    }
    let locked: boolean;
    try {
      locked = waitForLock(fd, Math.max(0, deadline - Date.now()));
    } catch (error) {
      libc.close(fd);
      throw asDaemonError("pid-file", what, error);
    }
    if (!locked) {
      libc.close(fd);
      return undefined;
    }
    // Removed or replaced while we waited: the lock is on a file nobody sees.
    let current: boolean;
    try {
      current = sameFile(libc.fileIdOf(fd), pidFileId(path));
    } catch (error) {
      libc.close(fd);
      throw error;
    }
    if (current) return fd;
    libc.close(fd);
    if (!create && pidFileId(path) === undefined) return undefined;
  }
}

/**
 * The file at the pid file's `path`, or undefined when there is none.
 * @throws {DaemonError} of step `"status"` when it can't be looked at.
 */
export function pidFileId(path: string): FileId | undefined {
  try {
    return getLibc().fileIdAt(path);
  } catch (error) {
    if (error instanceof SysCallError && error.code === "ENOENT") {
      return undefined;
    }
    throw asDaemonError("status", `cannot inspect pid file ${path}`, error);
  }
}

/**
 * Runs `body` holding an exclusive lock on `path` (created mode 0644, never
 * through a symbolic link), after waiting up to `ms` for another holder.
 * @throws {DaemonError} of step `"pid-file"` when it stays taken.
 */
export async function whileLocked<T>(
  path: string,
  ms: number,
  busy: string,
  body: () => Promise<T>,
): Promise<T> {
  const libc = getLibc();
  const c = libc.constants;
  let fd: number;
  try {
    fd = libc.open(path, c.O_RDWR | c.O_CREAT | c.O_NOFOLLOW | c.O_CLOEXEC, 0o644);
  } catch (error) {
    throw asDaemonError("pid-file", `cannot lock ${path}`, error);
  }
  try {
    if (!waitForLock(fd, ms)) throw new DaemonError("pid-file", busy, { code: "EWOULDBLOCK" });
    return await body();
  } finally {
    libc.close(fd);
  }
}

/** Takes `fd`'s exclusive lock, retrying for up to `ms`; false if it stays taken. */
export function waitForLock(fd: number, ms: number): boolean {
  const libc = getLibc();
  const c = libc.constants;
  const deadline = Date.now() + ms;
  for (let pause = 1;; pause = Math.min(pause * 2, 20)) {
    if (libc.flock(fd, c.LOCK_EX | c.LOCK_NB)) return true;
    if (Date.now() >= deadline) return false;
    sleepSync(Math.min(pause, Math.max(1, deadline - Date.now())));
  }
}

/** Blocks the thread for `ms` milliseconds. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether two file ids name the same file. */
function sameFile(a: FileId | undefined, b: FileId | undefined): boolean {
  return !!a && !!b && a.dev === b.dev && a.ino === b.ino;
}
