/**
 * `daemonize()`, `detach()` and `daemonizeProgram()`: one call that starts
 * a daemon and returns in the right process. Like go-daemon's, a start has
 * parts played by different processes, and each process learns its part
 * first, from the markers in its environment and its parent:
 *
 * - the starter (no markers, not started by init or a supervisor): starts
 *   the daemon and waits until it is ready (`start/starter.ts`);
 * - the daemon (started again by its starter, or in the foreground): takes
 *   over, sets up, and goes on (`daemon/daemon.ts`, or for a program
 *   `daemon/program_daemon.ts`);
 * - a program's own stage (started by a privileged supervisor): finishes
 *   the set-up and becomes the program (`daemon/program_daemon.ts`).
 *
 * A daemon never loads the starter's side: the starter imports it once it
 * knows it is the starter (a few modules, a fraction of a millisecond),
 * while the daemon's side comes with this module, as a dynamic import of
 * its many modules would cost the daemon's start about a millisecond.
 *
 * @module
 */
import { getLibc } from "../ffi/libc.ts";
import { DEFAULTS } from "./defaults.ts";
import { asDaemonError, DaemonError } from "./errors.ts";
import { exit, pid as ownPid, ppid } from "./host.ts";
import { type DaemonOptions, type ResolvedOptions, resolveOptions } from "./options.ts";
import { baseName } from "./paths.ts";
import { runDaemon } from "./daemon/daemon.ts";
import type { Daemon } from "./daemon/handle.ts";
import type { Program } from "./daemon/program.ts";
import { passedDescriptors, passedRange } from "./daemon/socket_activation.ts";
import {
  isProgramStage,
  mainModule,
  type Markers,
  sameCommand,
  takeMarkers,
} from "./start/relaunch.ts";
import { SUPERVISOR_VARIABLE } from "./supervisor/record.ts";

export type { Daemon };

/** What {@link detach} returns: which side of the start this process is. */
export type DetachResult =
  | { readonly role: "starter"; readonly pid: number }
  | { readonly role: "daemon"; readonly daemon: Daemon };

/** The part of a start this process plays (a program's own stage aside). */
type Role =
  | { readonly part: "starter" }
  | { readonly part: "daemon"; readonly markers: Markers | undefined };

/** Whether this process is (or is becoming) a daemon already. */
let isDaemon = false;

/**
 * Turns this program into a daemon, or starts it as one: the form for
 * programs that go on after starting their daemon. In the starting process
 * it returns `{ role: "starter", pid }` once the daemon is ready; in the
 * daemon it returns `{ role: "daemon", daemon }`. Code before the call runs
 * in both (the daemon is the same program started again).
 *
 * Needs `--allow-all` under Deno (FFI, and /proc to start itself again).
 *
 * @example Start a daemon and carry on
 * ```ts ignore
 * import { detach } from "./daemonize.ts";
 *
 * const result = await detach({ pidFile: "/tmp/worker.pid" });
 * if (result.role === "starter") {
 *   console.log(`worker started as pid ${result.pid}`);
 * } else {
 *   setInterval(() => console.log("working"), 1000);
 * }
 * ```
 * @throws {DaemonError} in the starter, naming the failing step, whether it
 * failed in the starter or in the daemon; nothing is left running then.
 */
export function detach(options: DaemonOptions = {}): Promise<DetachResult> {
  return Promise.resolve().then(async () => {
    // A container's PID 1 stays its init: it passes signals on, reaps
    // orphans, and runs this program again as its child, which goes on.
    if (ownPid() === 1 && getLibc().getenv(SUPERVISOR_VARIABLE) === undefined) {
      return superviseSelf();
    }
    const resolved = prepare(options);
    const role = roleOf(resolved);
    if (role.part === "starter") {
      const { launchDaemon } = await import("./start/starter.ts");
      return { role: "starter", pid: launchDaemon(resolved) };
    }
    return { role: "daemon", daemon: runDaemon(resolved, role.markers) };
  });
}

/**
 * Runs `program` as a daemon with `options`: this program is the starter and
 * the daemon's set-up, then the daemon executes `program` in its place (same
 * pid and start time, so the recorded identity names the program). Returns the program's pid in the
 * starter; in a foreground start (no detaching) it never returns.
 * @throws {DaemonError} naming the failing step, program exits included.
 */
export function daemonizeProgram(
  program: Program,
  options: DaemonOptions = {},
): Promise<number> {
  return Promise.resolve().then(async () => {
    const { checkHealthPrivileges, checkProgram } = await import("./daemon/program.ts");
    checkProgram(program);
    const resolved = prepare(options);
    checkHealthPrivileges(program, resolved);
    // Started by a supervisor to drop privileges and become the program.
    if (isProgramStage()) {
      isDaemon = true;
      const { runProgramStage } = await import("./daemon/program_daemon.ts");
      return runProgramStage(resolved, program);
    }
    const role = roleOf(resolved);
    if (role.part === "starter") {
      const { launchDaemon } = await import("./start/starter.ts");
      return launchDaemon(resolved, program);
    }
    const { runProgramDaemon } = await import("./daemon/program_daemon.ts");
    runProgramDaemon(resolved, role.markers, program);
    // A supervisor: this process lives on as the program's parent, until it exits.
    return new Promise<number>(() => {});
  });
}

/**
 * Turns this program into a daemon. The code after `await daemonize()` runs
 * only in the daemon: the starting process exits 0 once the daemon is ready,
 * or prints the daemon's own error (naming the failing step) and exits 1,
 * leaving nothing running and no pid file behind.
 *
 * Needs `--allow-all` under Deno (FFI, and /proc to start itself again).
 *
 * @example A daemon that logs every second
 * ```ts ignore
 * import { daemonize } from "./daemonize.ts";
 *
 * const daemon = await daemonize({
 *   pidFile: "/tmp/ticker.pid",
 *   stdout: "/tmp/ticker.log",
 *   stderr: "/tmp/ticker.log",
 * });
 * const timer = setInterval(() => console.log(new Date().toISOString()), 1000);
 * daemon.onStop(() => clearInterval(timer));
 * ```
 */
export async function daemonize(options: DaemonOptions = {}): Promise<Daemon> {
  let result: DetachResult;
  try {
    result = await detach(options);
  } catch (error) {
    const e = asDaemonError("startup", "cannot start daemon", error);
    console.error(`daemonize: ${e.step}: ${e.message}`);
    exit(1);
  }
  if (result.role === "starter") exit(0);
  return result.daemon;
}

/** The options of a start, with the sockets socket activation passed kept at their numbers. */
function prepare(options: DaemonOptions): ResolvedOptions {
  if (isDaemon) throw new DaemonError("options", "this process is already a daemon");
  const resolved = resolveOptions(options);
  const passed = passedRange(passedDescriptors());
  if (passed.length) {
    resolved.filesPreserve = [...new Set([...resolved.filesPreserve, ...passed])].sort((a, b) =>
      a - b
    );
  }
  return resolved;
}

/**
 * The part this process plays, from its markers (taken from the
 * environment here) and, without any, from whether it detaches.
 */
function roleOf(options: ResolvedOptions): Role {
  const markers = takeMarkers();
  if (!markers && (options.detachProcess ?? !startedBySupervisor())) return { part: "starter" };
  isDaemon = true;
  return { part: "daemon", markers };
}

/** Started by init or a supervisor: parent pid 1, or stdin is a socket. */
function startedBySupervisor(): boolean {
  // A container's PID 1 must stay: the container ends with it.
  if (ownPid() === 1 || ppid() === 1) return true;
  // Our own supervisor (daemonize start --restart …) is the parent.
  if (getLibc().getenv(SUPERVISOR_VARIABLE) === String(ppid())) return true;
  try {
    return (getLibc().fileIdOf(0).mode & 0o170000) === 0o140000;
  } catch {
    return false;
  }
}

/** This process becomes the supervisor of this same program, run again; never resolves. */
function superviseSelf(): Promise<never> {
  const command = sameCommand();
  void import("./supervisor/supervisor.ts").then(({ supervise }) =>
    supervise({
      program: { name: baseName(mainModule()), ...command },
      supervision: {
        restart: "no",
        restartDelay: DEFAULTS.restartDelay,
        maxRestarts: 0,
        restartWindow: DEFAULTS.restartWindow,
      },
      pidFile: undefined,
      channel: undefined,
    })
  );
  return new Promise<never>(() => {});
}
