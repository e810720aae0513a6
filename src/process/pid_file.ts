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
import { getLibc, SysCallError } from "../../ffi/libc.ts";
import { asDaemonError, DaemonError } from "../errors.ts";
import { pid as ownPid } from "../host.ts";
import {
  type Identity,
  isSameProcess,
  newToken,
  sameStart,
  selfIdentity,
  TOKEN_VARIABLE,
} from "./identity.ts";
import { describePidFile, unsafePidFile } from "./pid_file_check.ts";
import { lockPidFile, pidFileId, waitForLock } from "./pid_lock.ts";
import { readRecord, writeRecord } from "./pid_record.ts";
import { isRunning } from "./proc.ts";
import { ProcessTree, runningMessage, type Sighting } from "./process_tree.ts";

// The command line holds a lock of the same kind over a named start.
export { whileLocked } from "./pid_lock.ts";
export { runningMessage } from "./process_tree.ts";

/** How long a start waits for another start's check-and-write to finish. */
const LOCK_WAIT_MS = 3_000;

/** A held pid file, as it crosses an exec (see `handOverPidFile`). */
export interface HeldPidFile {
  readonly path: string;
  /** Its open descriptor. */
  readonly fd: number;
  /** The identity this process recorded in it. */
  readonly identity: Identity;
}

/** The class's private state, for the hand-over functions below. */
let held: {
  get(file: PidFile): HeldPidFile | undefined;
  set(file: PidFile, value: HeldPidFile): void;
};

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
  /** Where its token is kept, readable by its owner only. */
  readonly tokenPath: string;
  #fd: number | undefined;
  #mine: Identity | undefined;

  static {
    held = {
      get: (file) =>
        file.#fd !== undefined && file.#mine
          ? { path: file.path, fd: file.#fd, identity: file.#mine }
          : undefined,
      set: (file, value) => {
        file.#fd = value.fd;
        file.#mine = value.identity;
      },
    };
  }

  /** A pid file at `path` (not touched until acquired or read). */
  constructor(path: string) {
    this.path = path;
    this.identityPath = `${path}.identity`;
    this.tokenPath = `${path}.token`;
  }

  /** Whether this process recorded itself in the file. */
  get held(): boolean {
    return this.#mine !== undefined;
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
    const unsafe = this.unsafe();
    if (unsafe) throw new DaemonError("pid-file", `refusing pid file ${this.path}: ${unsafe}`);
    const fd = lockPidFile(this.path, LOCK_WAIT_MS, true);
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
      let me = identity ?? selfIdentity(ownPid(), newToken(), false);
      const running = this.running();
      // Recorded already as this very process, a program started by the
      // command that controls itself with the same pid file: by its starter
      // (seen by the program's own acquire, which carries the start's
      // token), or by itself (seen by the starter's acquire, recording the
      // program it started), whichever came first. That record stays.
      const recorded = this.identity();
      const started = me.pid !== ownPid() || libc.getenv(TOKEN_VARIABLE) !== undefined;
      if (running?.main && recorded && isSameProcess(recorded, me) && started) {
        this.#mine = recorded;
        this.#fd = fd;
        kept = true;
        return;
      }
      // A main process carrying the daemon's own token takes the place of
      // one that is gone (a supervisor taking over the program its killed
      // predecessor left): the session that runs stays the daemon's.
      const successor = running && !running.main && recorded?.token !== undefined &&
        recorded.token === me.token;
      if (successor) me = { ...me, sid: recorded.sid, sidStart: recorded.sidStart };
      else if (running) {
        throw new DaemonError("pid-file", runningMessage(running), { code: "EWOULDBLOCK" });
      }
      attempt(what, () => {
        writeRecord(this, me);
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
      const now = this.identity();
      if (!now || !sameStart(now, mine)) return;
      try {
        this.#unlinkAll();
      } catch {
        libc.truncate(fd, 0);
      }
    } catch {
      // Cleaning up at exit: nothing more to do.
    } finally {
      libc.close(fd);
    }
  }

  /**
   * Leaves the file and its identity in place at exit (release does nothing
   * after this): processes of the daemon outlive this one.
   */
  keep(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    this.#mine = undefined;
    if (fd !== undefined) getLibc().close(fd);
  }

  /**
   * Records `identity` (of this same process) in place of the one it
   * acquired with: a supervisor that took over its daemon's session, now
   * running the program in its own.
   */
  rerecord(identity: Identity): void {
    if (this.#fd === undefined || !this.#mine) return;
    attempt(`cannot write pid file ${this.path}`, () => writeRecord(this, identity));
    this.#mine = identity;
  }

  /** Whether the file exists. */
  exists(): boolean {
    return pidFileId(this.path) !== undefined;
  }

  /**
   * What the file is when it names no daemon of ours, in words for a
   * status line (`it holds no pid: "hello"`, `it is a directory, not a
   * pid file`); undefined when there is no file.
   */
  inspect(): string | undefined {
    return describePidFile(this.path, () => this.read());
  }

  /**
   * Why this pid file must not be used, or undefined: a file that is not a
   * regular file, or a directory anyone may write to without the sticky bit
   * (another user could put a file of theirs in its place).
   */
  unsafe(): string | undefined {
    return unsafePidFile(this.path);
  }

  /** The pid written in the file, or undefined (no file, empty, garbage). */
  read(): number | undefined {
    let text: string;
    const libc = getLibc();
    let fd: number;
    try {
      fd = libc.open(this.path, libc.constants.O_NONBLOCK | libc.constants.O_CLOEXEC);
    } catch (error) {
      if (error instanceof SysCallError && error.code === "ENOENT") {
        return undefined;
      }
      throw asDaemonError("status", `cannot read pid file ${this.path}`, error);
    }
    try {
      if ((libc.fileIdOf(fd).mode & 0o170000) !== 0o100000) return undefined;
      text = new TextDecoder().decode(libc.readAll(fd));
    } catch (error) {
      throw asDaemonError("status", `cannot read pid file ${this.path}`, error);
    } finally {
      libc.close(fd);
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
    return this.exists() ? readRecord(this) : undefined;
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
    const fd = lockPidFile(this.path, LOCK_WAIT_MS, false);
    if (fd === undefined) return;
    try {
      if (this.identity()) {
        if (this.running()) return;
      } else {
        // Not a record of ours: removed only when the pid it names is gone.
        const pid = this.read();
        if (pid !== undefined && isRunning(pid)) return;
      }
      this.#unlinkAll();
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
    const fd = lockPidFile(this.path, LOCK_WAIT_MS, false);
    if (fd === undefined) return;
    try {
      const now = this.identity();
      if (!now || !sameStart(now, identity)) return;
      this.#unlinkAll();
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

  /** Removes the pid file, then its identity and token. */
  #unlinkAll(): void {
    getLibc().unlink(this.path);
    for (const path of [this.identityPath, this.tokenPath]) {
      try {
        getLibc().unlink(path);
      } catch {
        // Not there.
      }
    }
  }
}

function attempt(what: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    throw asDaemonError("pid-file", what, error);
  }
}

/**
 * Leaves a held pid file to the program this process executes in its place
 * (the same pid: the recorded identity stays true): its descriptor stays
 * open across the exec. Returns what `adoptPidFile` takes there, or
 * undefined when this process does not hold the file.
 */
export function handOverPidFile(file: PidFile): HeldPidFile | undefined {
  const value = held.get(file);
  if (value) getLibc().setCloseOnExec(value.fd, false);
  return value;
}

/** Takes back a hand-over whose exec failed: the descriptor closes on exec again. */
export function keepPidFile(file: PidFile): void {
  const value = held.get(file);
  if (value) getLibc().setCloseOnExec(value.fd);
}

/** The pid file this process held before it executed this program (see `handOverPidFile`). */
export function adoptPidFile(value: HeldPidFile): PidFile {
  const file = new PidFile(value.path);
  getLibc().setCloseOnExec(value.fd);
  held.set(file, value);
  return file;
}
