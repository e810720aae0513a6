/**
 * Stopping a daemon from another process, with only its pid file: the stop
 * signal to its main process, then to every process of its session still
 * left, a wait until none is, and `SIGKILL` to all of them after a timeout.
 * Only processes proven to be the daemon's (see `identity.ts`) are ever
 * signalled, whatever pid the file names.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { DEFAULTS } from "../defaults.ts";
import { DaemonError, optionError } from "../errors.ts";
import type { Member, ProcessTree, Sighting } from "../process/process_tree.ts";
import { signalNumber } from "../signal_names.ts";
import { readTextFileIfAny } from "../host.ts";
import { endLeftKeeper } from "../supervisor/output_keeper.ts";
import { parseRecord, recordPath } from "../supervisor/record.ts";
import type { PidFile } from "../process/pid_file.ts";
import { pidFileOf } from "../process/pid_file_of.ts";

/** Options of {@link stop}. */
export interface StopOptions {
  /**
   * Milliseconds to wait for the daemon's processes to exit before `SIGKILL`.
   * @default {10000}
   */
  timeout?: number;
  /**
   * The signal asking the daemon to stop.
   * @default {"SIGTERM"}
   */
  signal?: string;
}

/** What {@link stop} did. */
export type StopResult =
  /** No process of the daemon ran: nothing was signalled. */
  | { readonly state: "not-running" }
  /**
   * The daemon `pid` and the `others` processes of its session ended;
   * `forced` when some took `SIGKILL`. `mainRan` is false when the main
   * process had already ended and only processes it started were left.
   */
  | {
    readonly state: "stopped";
    readonly pid: number;
    readonly forced: boolean;
    readonly others: number;
    readonly mainRan: boolean;
  };

/**
 * How long `stop` blocks waiting on the processes' pidfds, which wake it the
 * moment one ends; most daemons end that fast. Then it polls, yielding.
 */
const QUICK_WAIT_MS = 50;

/** Blocks until one of the sighted processes ends, or `ms` passed. */
function waitForAnExit(seen: Sighting, ms: number): void {
  const fds = [seen.main, ...seen.others].flatMap((m) => m?.exitFd ?? []);
  if (fds.length) getLibc().poll(fds, ms);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Stops the daemon recorded in `pidFile`: sends `signal` to its main
 * process, then to each process of its session still there (at once to
 * those the main process leaves behind), waits up to `timeout` ms for all
 * of them to end, then sends `SIGKILL` to those left and waits again.
 * Removes the pid file once nothing of the daemon runs.
 *
 * @example
 * ```ts
 * import { stop } from "./stop.ts";
 *
 * const result = await stop("/tmp/no-such-daemon.pid");
 * console.log(result.state); // "not-running"
 * ```
 * @throws {DaemonError} of step `"stop"` when signalling is refused or a
 * process survives `SIGKILL`.
 */
export async function stop(
  pidFile: string | PidFile,
  options: StopOptions = {},
): Promise<StopResult> {
  const file = pidFileOf(pidFile);
  if (typeof options !== "object" || options === null) {
    throw optionError(`Invalid options: expected an object, got ${String(options)}`);
  }
  const timeout = options.timeout ?? DEFAULTS.stopTimeout;
  if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 0) {
    throw optionError(`Invalid timeout: ${String(timeout)}`, typeof timeout === "number");
  }
  const signal = typeof options.signal === "string" || options.signal === undefined
    ? signalNumber(options.signal ?? DEFAULTS.stopSignal)
    : undefined;
  if (signal === undefined) {
    throw optionError(
      `Invalid signal: ${String(options.signal)}`,
      typeof options.signal === "string",
    );
  }
  const unsafe = file.unsafe();
  if (unsafe) throw new DaemonError("stop", `refusing pid file ${file.path}: ${unsafe}`);
  const tree = file.tree();
  // What a supervisor killed outright left: the keeper of its program's output.
  const left = parseRecord(readTextFileIfAny(recordPath(file.path)))?.keeper;
  if (!tree) {
    file.removeIfStale();
    endLeftKeeper(left);
    return { state: "not-running" };
  }
  try {
    const result = await stopTree(tree, signal, timeout);
    file.removeRecordOf(tree.identity);
    endLeftKeeper(left);
    return result;
  } finally {
    tree.close();
  }
}

async function stopTree(
  tree: ProcessTree,
  signal: number,
  timeout: number,
): Promise<StopResult> {
  const signalled = new Set<number>();
  const seen = new Set<number>();
  const send = (member: Member, sig: number) => {
    try {
      member.signal(sig);
    } catch (error) {
      throw new DaemonError(
        "stop",
        `cannot signal pid ${member.pid}: ${(error as Error).message}`,
        { code: (error as { code?: string }).code, cause: error },
      );
    }
  };
  // One look before any signal: while the main process lives, it proves
  // the session, and so the processes it started (a worker that cleared its
  // environment carries no token to prove it once the main process is gone).
  const first = tree.look();
  if (!first.main && first.others.length === 0) {
    const n = first.unverified;
    if (n) {
      throw new DaemonError(
        "stop",
        `${n} process${
          n === 1 ? "" : "es"
        } of its session can't be checked by this user: stop it as root`,
        { code: "EACCES" },
      );
    }
    return { state: "not-running" };
  }
  const result = (forced: boolean): StopResult => ({
    state: "stopped",
    pid: tree.identity.pid,
    forced,
    others: seen.size,
    mainRan: first.main !== undefined,
  });
  if (first.main) {
    send(first.main, signal);
    signalled.add(first.main.pid);
  }
  const started = Date.now();
  const deadline = started + timeout;
  // The first sighting stands until something exits: the main process has
  // only just been told.
  for (let now = first;;) {
    for (const member of now.others) seen.add(member.pid);
    if (!now.main && now.others.length === 0) return result(false);
    // Once the main process is gone, the processes it left get the signal.
    if (!now.main) {
      for (const member of now.others) {
        if (signalled.has(member.pid)) continue;
        send(member, signal);
        signalled.add(member.pid);
      }
    }
    if (Date.now() >= deadline) break;
    const left = Math.max(1, deadline - Date.now());
    if (Date.now() - started < QUICK_WAIT_MS) waitForAnExit(now, Math.min(QUICK_WAIT_MS, left));
    else await sleep(Math.min(10, left));
    now = tree.look();
  }
  const kill = getLibc().constants.signals.SIGKILL!;
  const killDeadline = Date.now() + 5_000;
  let killed = false;
  for (;;) {
    const now = tree.look();
    for (const member of now.others) seen.add(member.pid);
    const left = [...(now.main ? [now.main] : []), ...now.others];
    if (left.length === 0) return result(killed);
    if (Date.now() >= killDeadline) {
      throw new DaemonError(
        "stop",
        `pid ${left.map((m) => m.pid).join(", ")} still running after SIGKILL`,
      );
    }
    for (const member of left) send(member, kill);
    killed = true;
    await sleep(10);
  }
}
