/**
 * The output keeper: a tiny process (`sleep`) that holds the reading ends
 * of a run's output pipes beside the supervisor, and does nothing else.
 *
 * While it lives, the pipes always have a reader: a supervisor killed
 * (even with SIGKILL) never makes its program die of SIGPIPE on its next
 * write; with nobody reading, the program at most waits once a pipe is full
 * (64 KiB). A new supervisor takes the pipes back from the keeper
 * (`pidfd_getfd(2)`, or, without it, by opening `/proc/PID/fd/N`, which
 * opens the same pipe) and reads on where the last one stopped.
 *
 * It runs in a session of its own, so that it never counts as one of the
 * daemon's processes; the supervisor ends it when the run ends, and `stop`
 * (or a new start) ends one a killed supervisor left (see {@link endLeftKeeper}).
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { readCommandWords, readEnviron, readStat } from "../process/proc.ts";

/** Where the keeper is found, and which of its descriptors is which stream's pipe. */
export interface KeeperRecord {
  readonly pid: number;
  /** Its start time (clock ticks after boot): the pid alone could be another's by now. */
  readonly start: number;
  /** Its descriptor holding the pipe of the program's standard output / error. */
  readonly stdout?: number | undefined;
  readonly stderr?: number | undefined;
}

/** The pipes' reading ends, by stream. */
export interface StreamFds {
  readonly stdout?: number | undefined;
  readonly stderr?: number | undefined;
}

/** Where `sleep` may be; the first that runs is the keeper. */
const SLEEP = ["/bin/sleep", "/usr/bin/sleep"];
/** How a keeper's command line starts (then the daemon's name). */
const KEEPER_NAME = "daemonize: output of ";
/** As long as `sleep` takes (68 years); GNU's and BusyBox's both read it. */
const FOREVER = "2147483647";

/** A run's output keeper, started here or found from a record. */
export class OutputKeeper {
  readonly record: KeeperRecord;
  /** Its pidfd (undefined without pidfds, or once ended). */
  #pidfd: number | undefined;
  /** Started here: a child of this process, reaped here. */
  readonly #child: boolean;

  private constructor(record: KeeperRecord, pidfd: number | undefined, child: boolean) {
    this.record = record;
    this.#pidfd = pidfd;
    this.#child = child;
  }

  /**
   * Starts a keeper holding `pipes` (reading ends); undefined when no
   * `sleep` can be run (the run is then kept as before: by the supervisor
   * alone).
   */
  static start(pipes: StreamFds, name: string): OutputKeeper | undefined {
    const libc = getLibc();
    const held = [pipes.stdout, pipes.stderr].filter((fd): fd is number => fd !== undefined);
    const { O_RDWR } = libc.constants;
    for (const path of SLEEP) {
      try {
        const pid = libc.spawn({
          path,
          argv: [`${KEEPER_NAME}${name}`, FOREVER],
          // The supervisor's own (not the program's, which may hold secrets).
          env: readEnviron("self") ?? [],
          newSession: true,
          defaultSignals: [],
          fileActions: [
            ...[0, 1, 2].map((fd) => ({ open: { fd, path: "/dev/null", flags: O_RDWR, mode: 0 } })),
            ...held.map((from, i) => ({ dup2: { from, to: 3 + i } })),
            { closeFrom: 3 + held.length },
          ],
        });
        const at = (fd: number | undefined) => fd === undefined ? undefined : 3 + held.indexOf(fd);
        const record: KeeperRecord = {
          pid,
          start: readStat(pid)?.startTicks ?? 0,
          stdout: at(pipes.stdout),
          stderr: at(pipes.stderr),
        };
        return new OutputKeeper(record, pidfdOf(pid), true);
      } catch {
        // Not here: the next place.
      }
    }
    return undefined;
  }

  /**
   * The keeper `record` names, if it still runs (same start time), with a
   * copy of each pipe it holds; undefined when it is gone.
   * @throws when it runs but its pipes can't be taken (another user's).
   */
  static takeOver(record: KeeperRecord): { keeper: OutputKeeper; fds: StreamFds } | undefined {
    if (!isKeeper(record)) return undefined;
    const pidfd = pidfdOf(record.pid);
    // Checked again through the pidfd: the pid can't change hands after this.
    if (readStat(record.pid)?.startTicks !== record.start) {
      if (pidfd !== undefined) getLibc().close(pidfd);
      return undefined;
    }
    const keeper = new OutputKeeper(record, pidfd, false);
    const copy = (fd: number | undefined) => fd === undefined ? undefined : keeper.#copy(fd);
    return { keeper, fds: { stdout: copy(record.stdout), stderr: copy(record.stderr) } };
  }

  /** A copy of the keeper's descriptor `fd`. */
  #copy(fd: number): number {
    const libc = getLibc();
    if (this.#pidfd !== undefined) {
      try {
        const copy = libc.descriptorOf(this.#pidfd, fd);
        if (copy !== undefined) return copy;
      } catch {
        // No pidfd_getfd (Linux before 5.6): /proc opens the same pipe.
      }
    }
    return libc.open(
      `/proc/${this.record.pid}/fd/${fd}`,
      libc.constants.O_NONBLOCK | libc.constants.O_CLOEXEC,
      0,
    );
  }

  /**
   * Ends the keeper (its pipes then have this supervisor as their only
   * reader), and waits until it is gone: nothing of it is left to count as
   * a process of the daemon.
   */
  end(): void {
    const libc = getLibc();
    const kill = libc.constants.signals.SIGKILL!;
    try {
      if (this.#pidfd !== undefined) libc.pidfdSendSignal(this.#pidfd, kill);
      else if (readStat(this.record.pid)?.startTicks === this.record.start) {
        libc.kill(this.record.pid, kill);
      }
    } catch {
      // Gone already.
    }
    if (this.#pidfd !== undefined) libc.close(this.#pidfd);
    this.#pidfd = undefined;
    if (this.#child) {
      try {
        libc.waitpid(this.record.pid);
      } catch {
        // Reaped already (the supervisor reaps every child that ends).
      }
      return;
    }
    // Another's child: gone once its parent reaps it; a moment at most.
    for (let i = 0; i < 100 && stillRuns(this.record); i++) libc.poll([], 1);
  }
}

/** Whether the keeper `record` names still runs (not yet a zombie). */
function stillRuns(record: KeeperRecord): boolean {
  const stat = readStat(record.pid);
  return stat !== undefined && stat.startTicks === record.start && stat.state !== "Z" &&
    stat.state !== "X";
}

/** Whether `record` names a keeper that runs: its start time, and a keeper's command line. */
function isKeeper(record: KeeperRecord): boolean {
  return readStat(record.pid)?.startTicks === record.start &&
    readCommandWords(record.pid)?.[0]?.startsWith(KEEPER_NAME) === true;
}

/**
 * Ends the keeper `record` names, if one still runs: a supervisor killed
 * outright leaves it behind, holding pipes nobody will read again.
 */
export function endLeftKeeper(record: KeeperRecord | undefined): void {
  if (!record) return;
  const libc = getLibc();
  // The pidfd first: checked after it, the pid can't change hands.
  const pidfd = pidfdOf(record.pid);
  try {
    if (!isKeeper(record)) return;
    if (pidfd !== undefined) libc.pidfdSendSignal(pidfd, libc.constants.signals.SIGKILL!);
    else libc.kill(record.pid, libc.constants.signals.SIGKILL!);
  } catch {
    // Gone meanwhile.
  } finally {
    if (pidfd !== undefined) libc.close(pidfd);
  }
}

/** A pidfd for `pid`, where the system has them. */
export function pidfdOf(pid: number): number | undefined {
  try {
    return getLibc().pidfdOpen(pid);
  } catch {
    return undefined;
  }
}
