/**
 * Stopping a daemon from another process, with only its pid file: a signal
 * to the lock's holder, a wait for the lock to be let go, and `SIGKILL`
 * after a timeout. A process that does not hold the lock is never signalled,
 * whatever pid the file names.
 *
 * @module
 */
import { getLibc, SysCallError } from "../ffi/libc.ts";
import { DaemonError } from "./errors.ts";
import { pid as ownPid, platform } from "./host.ts";
import { signalNumber } from "./options.ts";
import { PidFile } from "./pid_file.ts";

/** Options of {@link stop}. */
export interface StopOptions {
  /**
   * Milliseconds to wait for the daemon to exit before `SIGKILL`.
   * @default {10000}
   */
  timeout?: number;
  /**
   * The signal asking the daemon to stop.
   * @default {"SIGTERM"}
   */
  signal?: string;
  /**
   * Also `SIGKILL` the daemon's process group (its children) when it has to
   * be killed; never a group this process belongs to.
   * @default {false}
   */
  killGroup?: boolean;
}

/** What {@link stop} did. */
export type StopResult =
  /** Nothing held the pid file's lock: nothing was signalled. */
  | { readonly state: "not-running" }
  /** The daemon `pid` exited; `forced` when it took `SIGKILL`. */
  | {
    readonly state: "stopped";
    readonly pid: number;
    readonly forced: boolean;
  };

/** The process group of `pid`, from /proc; undefined if unknown. */
function processGroup(pid: number): number | undefined {
  try {
    const stat = getLibc().readTextFile(`/proc/${pid}/stat`);
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function releasedWithin(file: PidFile, pid: number, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (file.holder() !== pid) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(10, Math.max(1, deadline - Date.now())));
  }
}

/**
 * Stops the daemon holding `pidFile`'s lock: sends `signal`, waits up to
 * `timeout` ms for the lock to be released, then sends `SIGKILL` (checking
 * first that the same process still holds the lock) and waits again.
 *
 * @example
 * ```ts
 * import { stop } from "./stop.ts";
 *
 * const result = await stop("/tmp/no-such-daemon.pid");
 * console.log(result.state); // "not-running"
 * ```
 * @throws {DaemonError} of step `"stop"` when signalling is refused or the
 * daemon survives `SIGKILL`.
 */
export async function stop(
  pidFile: string | PidFile,
  options: StopOptions = {},
): Promise<StopResult> {
  const file = typeof pidFile === "string" ? new PidFile(pidFile) : pidFile;
  const timeout = options.timeout ?? 10_000;
  if (!Number.isFinite(timeout) || timeout < 0) {
    throw new DaemonError("stop", `Invalid timeout: ${timeout}`);
  }
  const signal = signalNumber(options.signal ?? "SIGTERM");
  if (signal === undefined) {
    throw new DaemonError("stop", `Invalid signal: ${options.signal}`);
  }
  const pid = file.holder();
  if (pid === undefined) return { state: "not-running" };
  const libc = getLibc();
  // Signal through a pidfd where there is one: opened now and checked to be
  // the lock's holder still, it can't reach another process that got the pid.
  let pidfd: number | undefined;
  try {
    pidfd = platform === "linux" ? libc.pidfdOpen(pid) : undefined;
  } catch {
    return { state: "not-running" };
  }
  if (file.holder() !== pid) {
    if (pidfd !== undefined) libc.close(pidfd);
    return { state: "not-running" };
  }
  const send = (sig: number) => {
    try {
      if (pidfd !== undefined) libc.pidfdSendSignal(pidfd, sig);
      else libc.kill(pid, sig);
    } catch (error) {
      if (error instanceof SysCallError && error.code === "ESRCH") return;
      throw new DaemonError("stop", `cannot signal pid ${pid}: ${(error as Error).message}`, {
        code: (error as SysCallError).code,
        cause: error,
      });
    }
  };
  try {
    return await signalAndWait(file, pid, send, timeout, signal, options.killGroup ?? false);
  } finally {
    if (pidfd !== undefined) libc.close(pidfd);
  }
}

async function signalAndWait(
  file: PidFile,
  pid: number,
  send: (signal: number) => void,
  timeout: number,
  signal: number,
  killGroup: boolean,
): Promise<StopResult> {
  const libc = getLibc();
  send(signal);
  if (await releasedWithin(file, pid, timeout)) {
    return { state: "stopped", pid, forced: false };
  }
  if (file.holder() === pid) {
    const group = killGroup ? processGroup(pid) : undefined;
    send(signalNumber("SIGKILL")!);
    if (
      group !== undefined && group > 1 && group !== processGroup(ownPid())
    ) {
      try {
        libc.kill(-group, signalNumber("SIGKILL")!);
      } catch {
        // The group is already empty.
      }
    }
  }
  if (await releasedWithin(file, pid, 5_000)) {
    return { state: "stopped", pid, forced: true };
  }
  throw new DaemonError(
    "stop",
    `pid ${pid} still holds ${file.path} after SIGKILL`,
  );
}
