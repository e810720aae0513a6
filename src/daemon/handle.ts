/**
 * The running daemon as its own code holds it: the {@link Daemon} handle
 * `daemonize()` returns (ready, stop callbacks, stop), and the start it is
 * still finishing (the readiness pipe to its starter, the pid file, what a
 * failure before readiness does).
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { DaemonError } from "../errors.ts";
import { backgroundTimer, exit, exitProgram, onExit, onUncaught, pid as ownPid } from "../host.ts";
import type { ResolvedOptions } from "../options.ts";
import { PidFile } from "../process/pid_file.ts";
import type { ReadyChannel } from "../start/ready_channel.ts";
import { releaseExecutablePages } from "./memory.ts";

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

/** How long after it is ready a daemon hands back its start-up pages (ms). */
const RELEASE_AFTER_MS = 2_000;

/**
 * The daemon's start until it is over: detached, the readiness pipe its
 * starter waits on; in the foreground, none (a failure is thrown instead).
 */
export class DaemonStart {
  readonly pidFile: PidFile | undefined;
  readonly channel: ReadyChannel | undefined;
  #removeExitListener: (() => void) | undefined;
  #removeUncaughtListener: (() => void) | undefined;

  /** The start of a daemon with `pidFile` (a path), told on `channel`. */
  constructor(pidFile: string | undefined, channel: ReadyChannel | undefined) {
    this.pidFile = pidFile ? new PidFile(pidFile) : undefined;
    this.channel = channel;
  }

  /** Whether the daemon detached: a starter waits on the channel. */
  get detached(): boolean {
    return this.channel !== undefined;
  }

  /** From now on, an exit tells a waiting starter and releases the pid file. */
  watchExit(): void {
    this.#removeExitListener = onExit(this.#onExit);
  }

  /** Until the daemon is ready, an uncaught error fails its start. */
  watchUncaught(): void {
    if (this.channel) this.#removeUncaughtListener = onUncaught(this.#failStartup);
  }

  /** Says the daemon is ready: the starter first (it waits on this). */
  ready(pid: number): void {
    this.channel?.ready(pid);
    this.#removeUncaughtListener?.();
  }

  /**
   * Ends a start that failed: releases the pid file, then tells the starter
   * and exits 1, or, in the foreground, throws `error`.
   */
  fail(error: DaemonError): never {
    this.#removeExitListener?.();
    this.pidFile?.release();
    if (!this.channel) throw error;
    console.error(`daemonize: ${error.step}: ${error.message}`);
    this.channel.failed(error);
    exit(1);
  }

  #onExit = (code: number): void => {
    if (this.channel?.open) this.channel.exited(code);
    this.pidFile?.release();
  };

  #failStartup = (error: unknown): void => {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    console.error(error);
    this.fail(new DaemonError("startup", `uncaught ${text}`, { cause: error }));
  };
}

/** The {@link Daemon} handle of this process. */
export class DaemonProcess implements Daemon {
  readonly pid: number = ownPid();
  readonly detached: boolean;
  readonly pidFile: PidFile | undefined;
  readonly #start: DaemonStart;
  readonly #stopTimeout: number;
  readonly #controller = new AbortController();
  readonly #callbacks: (() => void | Promise<void>)[] = [];
  #stopping: Promise<never> | undefined;
  #ready = false;

  /** The handle of the daemon `start` starts, with its options. */
  constructor(options: ResolvedOptions, start: DaemonStart) {
    this.#start = start;
    this.#stopTimeout = options.stopTimeout;
    this.detached = start.detached;
    this.pidFile = start.pidFile;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  ready(): void {
    if (this.#ready) return;
    this.#ready = true;
    this.#start.ready(this.pid);
    // Once started, the runtime's code it touched to start is handed back
    // (see memory.ts): a daemon idles for weeks.
    // (Loaded with the daemon: after a chroot or a change of user the
    // source may be out of reach.)
    backgroundTimer(() => void releaseExecutablePages(), RELEASE_AFTER_MS);
    if (this.detached) return;
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
        `daemonize: stop callbacks still running after ${this.#stopTimeout} ms; exiting`,
      );
      exitProgram(1);
    }, this.#stopTimeout);
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
}
