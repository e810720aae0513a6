/**
 * A pid file and, beside it, the identity of the daemon it names (see
 * `identity.ts`): the pid alone is never believed. The file's first line is
 * the pid, for other tools (`kill $(cat FILE)`, `start-stop-daemon
 * --pidfile`); the identity is in `FILE.identity`.
 *
 * An exclusive `flock(2)` on the pid file guards the check-and-write of a
 * start and the removal of a stale file; nobody keeps it longer than that,
 * so neither a program that closes every descriptor nor the workers of one
 * that died can fool it or block it.
 *
 * @module
 */
import { type FileId, getLibc, SysCallError } from "../ffi/libc.ts";
import { asDaemonError, DaemonError } from "./errors.ts";
import { pid as ownPid } from "./host.ts";
import {
  type Identity,
  newToken,
  parseIdentity,
  ProcessTree,
  selfIdentity,
  type Sighting,
  TOKEN_VARIABLE,
} from "./identity.ts";

/** How long a start waits for another start's check-and-write to finish. */
const LOCK_WAIT_MS = 3_000;

/**
 * A daemon's pid file: record a daemon in it, ask it who runs from anywhere
 * else.
 *
 * @example Who runs under a pid file
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
  /** Where the identity of the daemon it names is recorded. */
  readonly identityPath: string;
  #fd: number | undefined;
  #mine: Identity | undefined;

  /** A pid file at `path` (not touched until acquired or read). */
  constructor(path: string) {
    this.path = path;
    this.identityPath = `${path}.identity`;
  }

  /** Whether this process recorded itself in the file. */
  get held(): boolean {
    return this.#mine !== undefined;
  }

  /** The identity this process recorded, if it did. */
  get recorded(): Identity | undefined {
    return this.#mine;
  }

  /**
   * Records this process (or `identity`) as the daemon: creates the file
   * (mode 0644, never through a symbolic link), checks under its lock that
   * no daemon recorded there still runs, then writes the identity and the pid.
   * @throws {DaemonError} of step `"pid-file"`: `already running (pid N)`
   * when a daemon recorded there runs, or the system's refusal.
   */
  acquire(identity?: Identity): void {
    if (this.#mine) return;
    const libc = getLibc();
    const what = `cannot lock pid file ${this.path}`;
    const fd = this.#lock(LOCK_WAIT_MS, true);
    if (fd === undefined) {
      const pid = this.read();
      throw new DaemonError(
        "pid-file",
        pid === undefined ? "already running" : `already running (pid ${pid})`,
        { code: "EWOULDBLOCK" },
      );
    }
    let kept = false;
    try {
      const me = identity ?? selfIdentity(ownPid(), newToken(), false);
      const running = this.running();
      // Recorded already as this very process (a program started by the
      // command that controls itself with the same pid file): that record,
      // made by the start, stays.
      const recorded = this.identity();
      if (
        running?.main && recorded && isSameProcess(recorded, me) &&
        recorded.token === libc.getenv(TOKEN_VARIABLE)
      ) {
        this.#mine = recorded;
        this.#fd = fd;
        kept = true;
        return;
      }
      if (running) {
        throw new DaemonError("pid-file", runningMessage(running), { code: "EWOULDBLOCK" });
      }
      attempt(what, () => {
        const temporary = `${this.identityPath}.${me.pid}`;
        const idFd = libc.open(
          temporary,
          libc.constants.O_WRONLY | libc.constants.O_CREAT | libc.constants.O_TRUNC |
            libc.constants.O_NOFOLLOW | libc.constants.O_CLOEXEC,
          0o644,
        );
        try {
          libc.fchmod(idFd, 0o644);
          libc.writeAll(idFd, JSON.stringify(me) + "\n");
        } finally {
          libc.close(idFd);
        }
        libc.rename(temporary, this.identityPath);
        libc.fchmod(fd, 0o644);
        libc.truncate(fd, 0);
        libc.writeAll(fd, `${me.pid}\n`);
      });
      this.#mine = me;
      this.#fd = fd;
      kept = true;
    } finally {
      libc.flock(fd, libc.constants.LOCK_UN);
      if (!kept) libc.close(fd);
    }
  }

  /**
   * Removes the file and its identity, if they still name this process.
   * When the daemon may no longer remove them (it dropped privileges and
   * the directory is root's), the pid file is emptied instead; the identity
   * left names a process that is gone.
   */
  release(): void {
    const fd = this.#fd;
    const mine = this.#mine;
    if (fd === undefined || !mine) return;
    this.#fd = undefined;
    this.#mine = undefined;
    const libc = getLibc();
    try {
      if (!waitForLock(fd, LOCK_WAIT_MS)) return;
      if (this.identity()?.token !== mine.token) return;
      try {
        libc.unlink(this.path);
        libc.unlink(this.identityPath);
      } catch {
        libc.truncate(fd, 0);
      }
    } catch {
      // Cleaning up at exit: nothing more to do.
    } finally {
      libc.close(fd);
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
   * The recorded identity of the daemon, or undefined when there is none (no
   * pid file, or one written by something else than a start).
   */
  identity(): Identity | undefined {
    if (!this.exists()) return undefined;
    const libc = getLibc();
    try {
      // Writable by others, it could name anybody's process: not believed.
      // Written by another user than root or us, it is believed only about
      // that user's own processes.
      const { uid, mode } = libc.fileIdAt(this.identityPath);
      if ((mode & 0o022) !== 0) return undefined;
      const identity = parseIdentity(libc.readTextFile(this.identityPath));
      if (!identity || uid === 0 || uid === libc.ids().euid) return identity;
      return { ...identity, onlyOf: uid };
    } catch {
      return undefined;
    }
  }

  /** The daemon's processes, followed over time; undefined without an identity. */
  tree(): ProcessTree | undefined {
    const identity = this.identity();
    return identity && new ProcessTree(identity);
  }

  /**
   * The pid of the daemon's main process while it runs, else undefined. A
   * pid merely written in the file is never believed.
   */
  holder(): number | undefined {
    const tree = this.tree();
    if (!tree) return undefined;
    try {
      return tree.look().main?.pid;
    } finally {
      tree.close();
    }
  }

  /**
   * Removes the file and its identity when no process of the daemon runs:
   * what a starter does after its daemon failed, and `stop` after the daemon
   * is gone.
   */
  removeIfStale(): void {
    const libc = getLibc();
    const fd = this.#lock(LOCK_WAIT_MS, false);
    if (fd === undefined) return;
    try {
      if (this.running()) return;
      libc.unlink(this.path);
      try {
        libc.unlink(this.identityPath);
      } catch {
        // No identity beside it.
      }
    } catch {
      // Not ours to remove.
    } finally {
      libc.close(fd);
    }
  }

  /**
   * Removes the file and its identity if they still record `identity` (a
   * daemon its caller saw end): no new look at the processes.
   */
  removeRecordOf(identity: Identity): void {
    const libc = getLibc();
    const fd = this.#lock(LOCK_WAIT_MS, false);
    if (fd === undefined) return;
    try {
      if (this.identity()?.token !== identity.token) return;
      libc.unlink(this.path);
      libc.unlink(this.identityPath);
    } catch {
      // Not ours to remove.
    } finally {
      libc.close(fd);
    }
  }

  /** What runs of the recorded daemon, or undefined when nothing does. */
  running(): Sighting | undefined {
    const tree = this.tree();
    if (!tree) return undefined;
    try {
      const seen = tree.look();
      return seen.main || seen.others.length ? seen : undefined;
    } finally {
      tree.close();
    }
  }

  /**
   * Opens the pid file and takes its lock, waiting up to `ms` for another
   * holder; undefined when it stays taken (or, without `create`, when there
   * is no file). A file replaced while we waited is opened again.
   */
  #lock(ms: number, create: boolean): number | undefined {
    const libc = getLibc();
    const c = libc.constants;
    const what = `cannot lock pid file ${this.path}`;
    const deadline = Date.now() + ms;
    for (;;) {
      let fd: number;
      try {
        fd = libc.open(
          this.path,
          c.O_RDWR | c.O_NOFOLLOW | c.O_CLOEXEC | (create ? c.O_CREAT : 0),
          0o644,
        );
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
      if (sameFile(libc.fileIdOf(fd), this.#currentId())) return fd;
      libc.close(fd);
      if (!create && !this.exists()) return undefined;
    }
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

/** What refuses a start: the daemon's main process, or what it left running. */
export function runningMessage(running: Sighting): string {
  if (running.main) return `already running (pid ${running.main.pid})`;
  const pids = running.others.map((m) => m.pid);
  const n = pids.length;
  return `already running: ${n} process${n === 1 ? "" : "es"} of its last start still run (pid ${
    pids.slice(0, 5).join(", ")
  }${n > 5 ? ", …" : ""}); stop it first`;
}

function attempt(what: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    throw asDaemonError("pid-file", what, error);
  }
}

/** Takes `fd`'s exclusive lock, retrying for up to `ms`; false if it stays taken. */
function waitForLock(fd: number, ms: number): boolean {
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

function isSameProcess(a: Identity, b: Identity): boolean {
  return a.pid === b.pid && a.start === b.start && a.boot === b.boot;
}

function sameFile(a: FileId | undefined, b: FileId | undefined): boolean {
  return !!a && !!b && a.dev === b.dev && a.ino === b.ino;
}
