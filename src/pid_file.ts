/**
 * A pid file guarded by an exclusive `flock(2)`: the lock, not the file's
 * existence, says whether a daemon runs. The kernel drops the lock when its
 * holder dies, however it dies, so a stale file never blocks a start.
 *
 * @module
 */
import { type FileId, getLibc, SysCallError } from "../ffi/libc.ts";
import { asDaemonError, DaemonError } from "./errors.ts";
import { pid as ownPid, platform } from "./host.ts";

/**
 * A pid file: acquire it in the daemon, ask it who runs from anywhere else.
 *
 * @example Who holds a pid file
 * ```ts
 * import { PidFile } from "./pid_file.ts";
 *
 * const pidFile = new PidFile("/tmp/example-daemon.pid");
 * console.log(pidFile.holder() ?? "not running");
 * ```
 */
export class PidFile {
  /** The file's absolute path. */
  readonly path: string;
  #fd: number | undefined;
  #id: FileId | undefined;

  /** A pid file at `path` (not touched until acquired or read). */
  constructor(path: string) {
    this.path = path;
  }

  /** Whether this process holds the lock. */
  get held(): boolean {
    return this.#fd !== undefined;
  }

  /**
   * Creates the file (mode 0644, never through a symbolic link), takes the
   * lock without waiting, and writes `pid` in it.
   * @throws {DaemonError} of step `"pid-file"`: `already running (pid N)`
   * when a live process holds the lock, or the system's refusal.
   */
  acquire(pid: number = ownPid()): void {
    if (this.#fd !== undefined) return;
    const libc = getLibc();
    const c = libc.constants;
    const what = `cannot lock pid file ${this.path}`;
    // A holder that exits unlinks the file while we wait for its lock: then
    // the lock we get is on a file nobody else can see. Retry on a fresh one.
    for (let tries = 0; tries < 10; tries++) {
      let fd: number;
      try {
        fd = libc.open(
          this.path,
          c.O_RDWR | c.O_CREAT | c.O_NOFOLLOW | c.O_CLOEXEC,
          0o644,
        );
      } catch (error) {
        if (error instanceof SysCallError && error.code === "ELOOP") {
          throw new DaemonError(
            "pid-file",
            `${what}: it is a symbolic link, which is not followed`,
            { code: error.code, cause: error },
          );
        }
        throw asDaemonError("pid-file", what, error);
      }
      try {
        if (!libc.flock(fd, c.LOCK_EX | c.LOCK_NB)) {
          const holder = this.#waitForPid();
          throw new DaemonError(
            "pid-file",
            holder === undefined ? "already running" : `already running (pid ${holder})`,
            { code: "EWOULDBLOCK" },
          );
        }
        const id = libc.fileIdOf(fd);
        if (!sameFile(id, this.#currentId())) {
          libc.close(fd);
          continue;
        }
        libc.fchmod(fd, 0o644);
        libc.truncate(fd, 0);
        libc.writeAll(fd, `${pid}\n`);
        this.#fd = fd;
        this.#id = id;
        return;
      } catch (error) {
        if (this.#fd === undefined) libc.close(fd);
        throw asDaemonError("pid-file", what, error);
      }
    }
    throw new DaemonError("pid-file", `${what}: it keeps being replaced`);
  }

  /**
   * Lets the lock pass to the program this process is about to execute: the
   * descriptor stays open across `execve`, so the program holds the lock.
   */
  handOver(): void {
    if (this.#fd !== undefined) getLibc().setCloseOnExec(this.#fd, false);
  }

  /**
   * Removes the file and drops the lock. When the daemon may no longer
   * remove it (it dropped privileges and the directory is root's), the file
   * is emptied instead; the released lock is what tells it is stale.
   *
   * With `keepLock` (at exit) the lock stays held until the process is
   * gone, so whoever waits for it knows the daemon has really ended.
   */
  release(options: { keepLock?: boolean } = {}): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    const libc = getLibc();
    try {
      if (sameFile(this.#id, this.#currentId())) {
        try {
          libc.unlink(this.path);
        } catch {
          libc.truncate(fd, 0);
        }
      }
    } finally {
      if (!options.keepLock) {
        this.#fd = undefined;
        this.#id = undefined;
        libc.close(fd);
      }
    }
  }

  /** Whether the file exists. */
  exists(): boolean {
    return this.#currentId() !== undefined;
  }

  /** The pid written in the file, or undefined (no file, empty, garbage). */
  read(): number | undefined {
    let text: string;
    try {
      text = getLibc().readTextFile(this.path);
    } catch (error) {
      if (error instanceof SysCallError && error.code === "ENOENT") {
        return undefined;
      }
      throw asDaemonError("status", `cannot read pid file ${this.path}`, error);
    }
    const match = /^\s*([0-9]+)\s*$/.exec(text);
    const pid = match ? Number(match[1]) : NaN;
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  }

  /**
   * The pid of the live process holding the lock, or undefined when none
   * does. A pid written in the file by anything else is never believed.
   */
  holder(): number | undefined {
    const id = this.#currentId();
    if (!id) return undefined;
    const libc = getLibc();
    if (platform === "linux") {
      const pids = flockHolders(libc.readTextFile("/proc/locks"), id);
      if (pids.length === 0) return undefined;
      const written = this.read();
      const pid = written !== undefined && pids.includes(written) ? written : pids[0]!;
      return libc.processExists(pid) ? pid : undefined;
    }
    // Elsewhere, probe the lock: free means nobody runs.
    const fd = libc.open(this.path, libc.constants.O_CLOEXEC);
    try {
      const c = libc.constants;
      if (libc.flock(fd, c.LOCK_SH | c.LOCK_NB)) return undefined;
      return this.read();
    } finally {
      libc.close(fd);
    }
  }

  /**
   * Removes the file if nobody holds its lock: what a starter does after its
   * daemon failed, and `stop` after the daemon is gone. A daemon starting at
   * that moment notices the file it locked was unlinked and takes a new one.
   */
  removeIfStale(): void {
    const libc = getLibc();
    const c = libc.constants;
    let fd: number;
    try {
      fd = libc.open(this.path, c.O_RDWR | c.O_NOFOLLOW | c.O_CLOEXEC);
    } catch {
      return;
    }
    try {
      if (!libc.flock(fd, c.LOCK_EX | c.LOCK_NB)) return;
      if (sameFile(libc.fileIdOf(fd), this.#currentId())) {
        libc.unlink(this.path);
      }
    } finally {
      libc.close(fd);
    }
  }

  /** The pid of a holder that took the lock but may not have written yet. */
  #waitForPid(): number | undefined {
    for (let i = 0; i < 50; i++) {
      const pid = this.read();
      if (pid !== undefined) return pid;
      sleepSync(2);
    }
    return undefined;
  }

  #currentId(): FileId | undefined {
    try {
      return getLibc().fileIdAt(this.path);
    } catch (error) {
      if (error instanceof SysCallError && error.code === "ENOENT") {
        return undefined;
      }
      throw asDaemonError(
        "status",
        `cannot inspect pid file ${this.path}`,
        error,
      );
    }
  }
}

/** Blocks the thread for `ms` milliseconds. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function sameFile(a: FileId | undefined, b: FileId | undefined): boolean {
  return !!a && !!b && a.dev === b.dev && a.ino === b.ino;
}

/** Linux `dev_t` to the `major:minor` pair /proc/locks prints (in hex). */
function deviceName(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}`;
}

/**
 * Pids holding an exclusive flock on file `id`, read from /proc/locks.
 * Overlay file systems report another device than `stat`, so a line whose
 * inode matches counts when no line matches both.
 */
export function flockHolders(locks: string, id: FileId): number[] {
  const exact: number[] = [];
  const inodeOnly: number[] = [];
  const device = deviceName(id.dev);
  for (const line of locks.split("\n")) {
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters have "->".
    const f = line.trim().split(/\s+/);
    if (f[1] !== "FLOCK" || f[3] !== "WRITE") continue;
    const where = f[5]?.split(":");
    if (!where || where.length !== 3 || BigInt(where[2]!) !== id.ino) continue;
    const pid = Number(f[4]);
    (`${where[0]}:${where[1]}` === device ? exact : inodeOnly).push(pid);
  }
  return exact.length > 0 ? exact : inodeOnly;
}
