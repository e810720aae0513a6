/**
 * `daemonize()` and `detach()`: the start of a daemon, from the starter's
 * side and from the daemon's, as one call that returns in the right process.
 *
 * The daemon's set-up runs as named steps, in this order:
 *
 * 1. `pid-file`: record the daemon's identity and pid, unless a daemon
 *    recorded there still runs (as the starting user, before any chroot, so
 *    a root-owned run directory works);
 * 2. `user`/`group`: look the owner up (before the chroot hides the
 *    user database);
 * 3. `core-dump`: core dumps off;
 * 4. `chroot`: change the root directory;
 * 5. `working-directory`: change the working directory;
 * 6. `umask`: set the file-creation mask;
 * 7. `user`/`group`: drop to the owner, irreversibly;
 * 8. `signals`: install the signal map.
 *
 * Detaching itself (new session, standard streams, closing inherited
 * descriptors) happened before the daemon's first instruction, in the way
 * the starter started it.
 *
 * @module
 */
import { getLibc } from "../ffi/libc.ts";
import { asDaemonError, attempt, DaemonError, type Step } from "./errors.ts";
import {
  backgroundTimer,
  cwd as currentDirectory,
  exit,
  exitProgram,
  followChdir,
  onExit,
  onUncaught,
  pid as ownPid,
  platform,
  ppid,
  removeFile,
} from "./host.ts";
import { launch } from "./start/launch.ts";
import type { DirectStart } from "./start/plan.ts";
import { type DaemonOptions, type ResolvedOptions, resolveOptions } from "./options.ts";
import { newToken, selfIdentity, TOKEN_VARIABLE } from "./process/identity.ts";
import { PidFile } from "./process/pid_file.ts";
import { checkProgram, findProgram, type Program, programEnv } from "./daemon/program.ts";
import { baseName } from "./paths.ts";
import { changeOwner, type Owner, resolveOwner } from "./daemon/privileges.ts";
import { ReadyChannel, readyDescriptor } from "./start/ready_channel.ts";
import {
  isProgramStage,
  mainModule,
  PROGRAM_STAGE,
  sameCommand,
  takeMarkers,
} from "./start/relaunch.ts";
import type { Supervision, SupervisorPlan } from "./supervisor/supervisor.ts";
import { SUPERVISOR_VARIABLE } from "./supervisor/record.ts";
import { recordPath } from "./supervisor/record.ts";
import { releaseExecutablePages } from "./daemon/memory.ts";
import {
  adoptPassedDescriptors,
  passedDescriptors,
  passedRange,
} from "./daemon/socket_activation.ts";
import { guardInspectorSignal, installSignals } from "./daemon/signals.ts";

/** The running daemon, as the code after `daemonize()` sees it. */
export interface Daemon {
  /** The daemon's pid. */
  readonly pid: number;
  /** Whether it detached (false when started by init or a supervisor). */
  readonly detached: boolean;
  /** The pid file it holds, if any. */
  readonly pidFile: PidFile | undefined;
  /** Aborted when the daemon is told to stop (`SIGTERM` by default). */
  readonly signal: AbortSignal;
  /**
   * Tells the starter the daemon is ready, so it exits 0. Needed only with
   * `readiness: "manual"`; later calls do nothing.
   */
  ready(): void;
  /** Adds a callback run (and awaited) when the daemon is told to stop. */
  onStop(callback: () => void | Promise<void>): void;
  /**
   * Stops cleanly: aborts `signal`, runs the `onStop` callbacks (at most
   * `stopTimeout` ms), removes the pid file and exits with `code`.
   */
  stop(code?: number): Promise<never>;
}

/** What {@link detach} returns: which side of the start this process is. */
export type DetachResult =
  | { readonly role: "starter"; readonly pid: number }
  | { readonly role: "daemon"; readonly daemon: Daemon };

let current: DaemonProcess | undefined;

/** How long after it is ready a daemon hands back its start-up pages (ms). */
const RELEASE_AFTER_MS = 2_000;

class DaemonProcess implements Daemon {
  readonly pid = ownPid();
  readonly detached: boolean;
  readonly pidFile: PidFile | undefined;
  readonly #controller = new AbortController();
  readonly #callbacks: (() => void | Promise<void>)[] = [];
  readonly #channel: ReadyChannel | undefined;
  readonly #options: ResolvedOptions;
  #stopping: Promise<never> | undefined;
  #ready = false;
  #removeExitListener: (() => void) | undefined;
  #removeUncaughtListener: (() => void) | undefined;

  constructor(
    options: ResolvedOptions,
    channel: ReadyChannel | undefined,
  ) {
    this.#options = options;
    this.#channel = channel;
    this.detached = channel !== undefined;
    this.pidFile = options.pidFile ? new PidFile(options.pidFile) : undefined;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  ready(): void {
    if (this.#ready) return;
    this.#ready = true;
    // The starter first: it waits on this.
    this.#channel?.ready(this.pid);
    // Once started, the runtime's code it touched to start is handed back
    // (see memory.ts): a daemon idles for weeks.
    // (Loaded with the daemon: after a chroot or a change of user the
    // source may be out of reach.)
    backgroundTimer(() => void releaseExecutablePages(), RELEASE_AFTER_MS);
    if (this.#channel) {
      this.#removeUncaughtListener?.();
      return;
    }
    // In the foreground under systemd (Type=notify), say so its way.
    const socket = getLibc().getenv("NOTIFY_SOCKET");
    if (socket) {
      try {
        getLibc().notify(socket, `READY=1\nMAINPID=${this.pid}\n`);
      } catch (error) {
        console.error(`daemonize: cannot notify ${socket}: ${(error as Error).message}`);
      }
    }
  }

  onStop(callback: () => void | Promise<void>): void {
    this.#callbacks.push(callback);
  }

  stop(code = 0): Promise<never> {
    this.#stopping ??= this.#runStop(code);
    return this.#stopping;
  }

  async #runStop(code: number): Promise<never> {
    this.#controller.abort();
    const timer = setTimeout(() => {
      console.error(
        `daemonize: stop callbacks still running after ${this.#options.stopTimeout} ms; exiting`,
      );
      exitProgram(1);
    }, this.#options.stopTimeout);
    const results = await Promise.allSettled(
      this.#callbacks.map((callback) => Promise.resolve().then(callback)),
    );
    clearTimeout(timer);
    for (const result of results) {
      if (result.status === "rejected") {
        console.error("daemonize: a stop callback failed:", result.reason);
        code = code || 1;
      }
    }
    exitProgram(code);
  }

  /** Runs the set-up steps; on failure reports, cleans up and exits (or throws). */
  setUp(program?: Program): void {
    const o = this.#options;
    // Detached, the token came from the starter; in the foreground it is new.
    const token = (this.detached ? getLibc().getenv(TOKEN_VARIABLE) : undefined) ?? newToken();
    // Read before the privilege drop: /proc/self is root's until exec then.
    const env = program ? programEnv(program, token) : undefined;
    // A program named by a relative path is found from where we started,
    // before the working directory changes.
    const startedIn = currentDirectory();
    const supervision = program?.supervise;
    // A supervisor keeps its privileges and its root (to remove the pid file
    // and rotate logs): its program's own stage drops them, then executes it.
    const privileged = supervision !== undefined &&
      (o.user !== undefined || o.group !== undefined || o.chrootDirectory !== undefined);
    let owner: Owner | undefined;
    const steps: [Step, () => void][] = [
      [
        "pid-file",
        () => {
          this.pidFile?.acquire({
            ...selfIdentity(this.pid, token, this.detached),
            // What this JS daemon does on each signal; a program it becomes
            // sets up its own.
            ...(program ? {} : { handles: [...o.signals.keys()] }),
          });
          // What a supervisor of an earlier start said (it failed) is past.
          if (this.pidFile) removeFile(recordPath(this.pidFile.path));
        },
      ],
      ["user", () => owner = resolveOwner(o.user, o.group)],
      ["core-dump", () => preventCoreDump(o.preventCore)],
      ...(privileged ? [] : [
        ["chroot", () => changeRoot(o.chrootDirectory)],
        ["working-directory", () => changeWorkingDirectory(o.workingDirectory)],
      ] as [Step, () => void][]),
      ["umask", () => getLibc().umask(o.umask)],
      ...(privileged ? [] : [
        ["user", () => owner && changeOwner(owner, o.initgroups)],
      ] as [Step, () => void][]),
      ...(supervision ? [] : [
        ["signals", () => installSignals(o.signals, () => void this.stop(0))],
      ] as [Step, () => void][]),
    ];
    this.#removeExitListener = onExit(this.#onExit);
    try {
      for (const [step, run] of steps) attempt(step, `${step} failed`, run);
    } catch (error) {
      this.#fail(error as DaemonError);
    }
    if (program && supervision) {
      this.#supervise(program, supervision, privileged, env!, token, startedIn);
      return;
    }
    if (program) this.#become(program, env!, startedIn);
    guardInspectorSignal();
    if (this.#channel) this.#removeUncaughtListener = onUncaught(this.#failStartup);
    // After the first synchronous part of the code that follows `await daemonize()`
    // (setImmediate: a zero timeout waits a millisecond or more).
    if (o.readiness === "auto") setImmediate(() => this.ready());
  }

  /**
   * The program's own stage under a privileged supervisor: the steps the
   * supervisor left (root, directory, mask, user), then the program.
   */
  setUpProgram(program: Program): never {
    const o = this.#options;
    const env = programEnv(program, getLibc().getenv(TOKEN_VARIABLE) ?? newToken());
    const startedIn = currentDirectory();
    let owner: Owner | undefined;
    const steps: [Step, () => void][] = [
      ["user", () => owner = resolveOwner(o.user, o.group)],
      ["chroot", () => changeRoot(o.chrootDirectory)],
      ["working-directory", () => changeWorkingDirectory(o.workingDirectory)],
      ["umask", () => getLibc().umask(o.umask)],
      ["user", () => owner && changeOwner(owner, o.initgroups)],
    ];
    try {
      for (const [step, run] of steps) attempt(step, `${step} failed`, run);
    } catch (error) {
      this.#fail(error as DaemonError);
    }
    return this.#become(program, env, startedIn);
  }

  /** Stays as the program's parent: a supervisor (see `supervisor.ts`). */
  #supervise(
    program: Program,
    supervision: Supervision,
    privileged: boolean,
    env: string[],
    token: string,
    startedIn: string,
  ): void {
    const [name, ...args] = program.command;
    let command: { path: string; argv: readonly string[]; env: readonly string[] };
    try {
      command = privileged ? sameCommand([`${PROGRAM_STAGE}`, `${TOKEN_VARIABLE}=${token}`]) : {
        path: findProgram(name!, envValue(env, "PATH"), startedIn),
        argv: [name!, ...args],
        env,
      };
    } catch (error) {
      this.#fail(asDaemonError("exec", `cannot execute ${name}`, error));
    }
    const o = this.#options;
    // The program's output is captured into the daemon's log files, if it has any.
    const capture = (path: string | undefined) =>
      path !== undefined && isRegularOrMissing(path) ? path : undefined;
    const plan: SupervisorPlan = {
      program: {
        name: name!,
        ...command,
        stdout: capture(o.stdout),
        stderr: capture(o.stderr),
      },
      supervision: { killAfter: o.stopTimeout, ...supervision },
      pidFile: this.pidFile,
      channel: this.#channel,
      ownSession: this.detached,
    };
    // Loaded here: a starter, and a daemon that becomes its program, need none of it.
    void import("./supervisor/handoff.ts").then(async ({ handOff }) => {
      // The supervisor goes on in an image of its own, with none of the
      // set-up's code; where it can't, here.
      handOff(plan, startedIn);
      const { supervise } = await import("./supervisor/supervisor.ts");
      supervise(plan);
    }).catch((error) => this.#fail(asDaemonError("startup", "cannot supervise", error)));
  }

  /** Replaces this process with `program` (same pid: the recorded identity stays true). */
  #become(program: Program, env: string[], startedIn: string): never {
    let failure: unknown;
    try {
      const [name, ...args] = program.command;
      const path = findProgram(name!, envValue(env, "PATH"), startedIn);
      this.#channel?.execing();
      getLibc().execve(path, [name!, ...args], env);
    } catch (error) {
      failure = error;
    }
    return this.#fail(
      asDaemonError("exec", `cannot execute ${program.command[0]}`, failure),
    );
  }

  #onExit = (code: number): void => {
    if (this.#channel?.open) this.#channel.exited(code);
    this.pidFile?.release();
  };

  #failStartup = (error: unknown): void => {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    console.error(error);
    this.#fail(
      new DaemonError("startup", `uncaught ${text}`, { cause: error }),
    );
  };

  #fail(error: DaemonError): never {
    this.#removeExitListener?.();
    this.pidFile?.release();
    if (!this.#channel) throw error;
    console.error(`daemonize: ${error.step}: ${error.message}`);
    this.#channel.failed(error);
    exit(1);
  }
}

function preventCoreDump(prevent: boolean): void {
  if (!prevent) return;
  const libc = getLibc();
  attempt("core-dump", "cannot turn core dumps off", () => {
    libc.setrlimit(libc.constants.RLIMIT_CORE, 0);
  });
}

function changeRoot(jail: string | undefined): void {
  if (!jail) return;
  const libc = getLibc();
  attempt("chroot", `cannot change root directory to ${jail}`, () => {
    libc.chroot(jail);
    libc.chdir("/");
    followChdir("/");
  });
}

function changeWorkingDirectory(directory: string): void {
  attempt(
    "working-directory",
    `cannot change working directory to ${directory}`,
    () => {
      getLibc().chdir(directory);
      followChdir(directory);
    },
  );
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

/**
 * How the starter runs `program` itself (one start of the runtime, not two),
 * when nothing of its set-up needs a process of its own: no supervisor, and
 * no user, group or root directory to change to.
 */
function directStart(program: Program, o: ResolvedOptions): DirectStart | undefined {
  if (
    program.supervise || o.user !== undefined || o.group !== undefined ||
    o.chrootDirectory !== undefined || o.singleDetach || platform !== "linux"
  ) {
    return undefined;
  }
  const [name, ...args] = program.command;
  // Its environment once; the starter adds the token of this start.
  const env = programEnv(program, "").filter((e) => !e.startsWith(`${TOKEN_VARIABLE}=`));
  const path = findProgram(name!, envValue(env, "PATH"), currentDirectory());
  return {
    path,
    argv: [name!, ...args],
    env,
    workingDirectory: o.workingDirectory,
    umask: o.umask,
    preventCore: o.preventCore,
  };
}

/** Whether `path` is a regular file or none yet (a device or FIFO is never rotated). */
function isRegularOrMissing(path: string): boolean {
  try {
    return (getLibc().fileIdAt(path).mode & 0o170000) === 0o100000;
  } catch {
    return true;
  }
}

function envValue(env: readonly string[], name: string): string | undefined {
  const entry = env.find((e) => e.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}

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
  return Promise.resolve().then(() => {
    // A container's PID 1 stays its init: it passes signals on, reaps
    // orphans, and runs this program again as its child, which goes on.
    if (ownPid() === 1 && getLibc().getenv(SUPERVISOR_VARIABLE) === undefined) {
      return superviseSelf();
    }
    return start(options, undefined);
  });
}

/** This process becomes the supervisor of this same program, run again; never resolves. */
function superviseSelf(): Promise<never> {
  const command = sameCommand();
  void import("./supervisor/supervisor.ts").then(({ supervise }) =>
    supervise({
      program: { name: baseName(mainModule()), ...command },
      supervision: { restart: "no", restartDelay: 100, maxRestarts: 0, restartWindow: 60_000 },
      pidFile: undefined,
      channel: undefined,
    })
  );
  return new Promise<never>(() => {});
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
  return Promise.resolve().then(() => {
    checkProgram(program);
    const result = start(options, program);
    // A supervisor: this process lives on as the program's parent, until it exits.
    if (result.role === "daemon") return new Promise<number>(() => {});
    return result.pid;
  });
}

function start(
  options: DaemonOptions,
  program: Program | undefined,
): DetachResult {
  if (current) {
    throw new DaemonError("options", "this process is already a daemon");
  }
  const resolved = resolveOptions(options);
  // Sockets passed by socket activation go to the daemon at the same numbers.
  const passed = passedRange(passedDescriptors());
  if (passed.length) {
    resolved.filesPreserve = [...new Set([...resolved.filesPreserve, ...passed])].sort((a, b) =>
      a - b
    );
  }
  if (program && isProgramStage()) {
    // Started by a supervisor to drop privileges and become the program.
    current = new DaemonProcess({ ...resolved, pidFile: undefined }, undefined);
    current.setUpProgram(program);
  }
  const markers = takeMarkers();
  if (!markers) {
    const detaching = resolved.detachProcess ?? !startedBySupervisor();
    if (program) findProgram(program.command[0] ?? "", getLibc().getenv("PATH"));
    if (detaching) {
      const name = program?.command[0];
      const pid = launch(
        resolved,
        name
          ? {
            name,
            grace: program!.grace,
            notify: !!program!.notify,
            supervised: !!program!.supervise,
            ready: program!.ready,
            direct: program && directStart(program, resolved),
          }
          : undefined,
      );
      return { role: "starter", pid };
    }
    current = new DaemonProcess(resolved, undefined);
    current.setUp(program);
    return { role: "daemon", daemon: current };
  }
  if (markers.readyFd !== readyDescriptor(resolved)) {
    throw new DaemonError(
      "reexec",
      "the program started again with other options",
    );
  }
  adoptPassedDescriptors();
  const channel = new ReadyChannel(markers.readyFd);
  channel.started(ownPid());
  current = new DaemonProcess(resolved, channel);
  if (markers.main !== mainModule()) {
    channel.failed(
      new DaemonError(
        "reexec",
        `the program started again is ${mainModule()}, not ${markers.main}`,
      ),
    );
    exit(1);
  }
  current.setUp(program);
  return { role: "daemon", daemon: current };
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
