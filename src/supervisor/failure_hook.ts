/**
 * The on-failure hook: a shell command the supervisor runs when the program
 * fails, is restarted, or the daemon gives up, told what happened in its
 * environment (see `failure_event.ts`).
 *
 * It never holds the supervisor up: it is begun, then looked at every few
 * milliseconds; its output goes to the daemon's log, each line prefixed. One
 * runs at a time: an event that comes while one runs waits for it, and only
 * the latest waiting event is kept (one it replaces is said in the log). A
 * hook still running after its time limit is sent SIGTERM, and SIGKILL
 * `KILL_AFTER` ms later (its whole session: it runs in one of its own). Its
 * failure (a non-zero exit, a signal, not started) is said in one line.
 *
 * The supervisor reaps every child and hands the hook's end over (`reaped`).
 * Before it exits after a last event (`failed`, `gave-up`), it waits for the
 * hook (`last`), which its time limit bounds.
 *
 * @module
 */
import { startCommand } from "./shell_command.ts";
import { DEFAULTS } from "../defaults.ts";
import { type ExitStatus, getLibc } from "../../ffi/libc.ts";
import { describeEnd, formatDelay, printable } from "../text.ts";
import {
  eventEnv,
  type FailureCause,
  type FailureEvent,
  type FailureEventName,
} from "./failure_event.ts";
import type { FailureHookSettings, HookCommand, SupervisorPlan } from "./plan.ts";

/** How often a running hook is looked at (ms). */
const LOOK_EVERY = 50;
/** From SIGTERM to SIGKILL for a hook past its time limit (ms). */
export const KILL_AFTER = 2000;
/** Lines of a hook's output written to the log at most, per run. */
const MAX_LINES = 100;
/** The longest line written (characters). */
const MAX_LINE = 1000;

/** What the hook needs of its daemon. */
export interface HookContext {
  /** The daemon's name. */
  readonly name: string;
  /** The program's environment, which the hook's starts from. */
  readonly env: readonly string[];
  /** The log the supervisor writes to, if output is captured. */
  readonly log: string | undefined;
  /**
   * The command that runs the hook as the program's user (a stage of ours
   * that drops privileges, then executes `/bin/sh -c`), when the supervisor
   * keeps root.
   */
  readonly runAs?: HookCommand | undefined;
  /** Writes a line of the supervisor's own to the daemon's log. */
  say(line: string): void;
}

/** The hook running. */
interface Running {
  readonly event: FailureEvent;
  readonly pid: number;
  readonly pipe: number;
  readonly deadline: number;
  status?: ExitStatus;
  /** When SIGTERM was sent, for its time limit (or a stop). */
  termAt?: number;
  timedOut?: boolean;
  /** Output not yet ended by a newline. */
  partial: string;
  lines: number;
}

/** Runs the on-failure hook; see the module's notes. */
export class FailureHook {
  readonly #settings: FailureHookSettings;
  readonly #context: HookContext;
  #running: Running | undefined;
  #waiting: FailureEvent | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #idle: (() => void)[] = [];
  #stopped = false;

  constructor(settings: FailureHookSettings, context: HookContext) {
    this.#settings = settings;
    this.#context = context;
  }

  /** Runs the hook for `event` now, or once the one running has ended. */
  fire(event: FailureEvent): void {
    if (this.#stopped) return;
    if (!this.#running) return this.#begin(event);
    if (this.#waiting) {
      this.#context.say(
        `on-failure hook not run for ${this.#waiting.event} (it ran for an earlier event meanwhile)`,
      );
    }
    this.#waiting = event;
  }

  /** Runs the hook for a last event; resolves once no hook runs or waits. */
  last(event: FailureEvent): Promise<void> {
    this.fire(event);
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Takes the end of the hook, which the supervisor reaped; false if not its. */
  reaped(pid: number, status: ExitStatus): boolean {
    if (this.#running?.pid !== pid) return false;
    this.#running.status = status;
    return true;
  }

  /** Runs no more hooks: the one running is ended (SIGTERM, then SIGKILL). */
  stop(): void {
    this.#stopped = true;
    this.#waiting = undefined;
    const running = this.#running;
    if (running && running.termAt === undefined) this.#terminate(running);
  }

  get #timeout(): number {
    return this.#settings.timeout ?? DEFAULTS.onFailureTimeout;
  }

  #begin(event: FailureEvent): void {
    const { name, env, log, runAs, say } = this.#context;
    const hookEnv = eventEnv(runAs?.env ?? env, name, log, event);
    try {
      const { pid, pipe } = startCommand(
        runAs?.path ?? "/bin/sh",
        runAs?.argv ?? ["sh", "-c", this.#settings.command],
        hookEnv,
      );
      this.#running = {
        event,
        pid,
        pipe,
        deadline: Date.now() + this.#timeout,
        partial: "",
        lines: 0,
      };
    } catch (error) {
      say(`cannot run the on-failure hook: ${(error as Error).message}`);
      return this.#next();
    }
    this.#lookLater();
  }

  #lookLater(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#look();
    }, LOOK_EVERY);
  }

  /** Looks at the running hook: its output written, its time limit kept, its end said. */
  #look(): void {
    const running = this.#running;
    if (!running) return;
    this.#drain(running);
    const now = Date.now();
    if (running.status === undefined) {
      if (running.termAt === undefined && now >= running.deadline) {
        running.timedOut = true;
        this.#terminate(running);
      } else if (running.termAt !== undefined && now >= running.termAt + KILL_AFTER) {
        this.#signal(running, "SIGKILL");
      }
      return this.#lookLater();
    }
    if (running.partial) this.#output(running, running.partial);
    getLibc().close(running.pipe);
    this.#running = undefined;
    const status = running.status;
    const ok = "code" in status && status.code === 0;
    const seconds = formatDelay(this.#timeout);
    if (running.timedOut) {
      this.#context.say(
        `on-failure hook (${running.event.event}) still ran after ${seconds}: ended (it ${
          describeEnd(status)
        })`,
      );
    } else if (!ok) {
      this.#context.say(`on-failure hook (${running.event.event}) ${describeEnd(status)}`);
    }
    this.#next();
  }

  /** The waiting event's hook, or, if none, tells those waiting that all is done. */
  #next(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting && !this.#stopped) return this.#begin(waiting);
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Writes what the hook said so far to the log, line by line. */
  #drain(running: Running): void {
    const libc = getLibc();
    const buffer = new Uint8Array(16 * 1024);
    const decoder = new TextDecoder();
    try {
      while (libc.poll([running.pipe], 0).length) {
        const n = libc.read(running.pipe, buffer);
        if (n <= 0) break;
        const text = running.partial + decoder.decode(buffer.subarray(0, n));
        const lines = text.split("\n");
        running.partial = lines.pop()!.slice(-MAX_LINE);
        for (const line of lines) this.#output(running, line);
      }
    } catch {
      // What it said is lost; its end is still seen.
    }
  }

  #output(running: Running, line: string): void {
    running.lines++;
    if (running.lines > MAX_LINES) {
      if (running.lines === MAX_LINES + 1) {
        this.#context.say(`on-failure hook output: (more than ${MAX_LINES} lines: left out)`);
      }
      return;
    }
    this.#context.say(`on-failure hook output: ${printable(line.trimEnd()).slice(0, MAX_LINE)}`);
  }

  #terminate(running: Running): void {
    running.termAt = Date.now();
    this.#signal(running, "SIGTERM");
  }

  /** Sends `name` to the hook's whole session's group: the shell and what it started. */
  #signal(running: Running, name: string): void {
    const libc = getLibc();
    try {
      libc.kill(-running.pid, libc.constants.signals[name]!);
    } catch {
      // Ended meanwhile.
    }
  }
}

/** The hook of the daemon `plan` supervises, if it has one; `say` writes to its log. */
export function failureHookFor(
  plan: SupervisorPlan,
  say: (line: string) => void,
): FailureHook | undefined {
  const settings = plan.supervision.onFailure;
  if (!settings) return undefined;
  const { program } = plan;
  return new FailureHook(settings, {
    name: settings.name ?? program.name,
    env: program.env,
    log: program.stderr ?? program.stdout,
    runAs: program.onFailureAs,
    say,
  });
}

/**
 * The event of a run that ended (`end`, undefined when not known), after
 * `restarts` restarts, which the supervisor said in `message`.
 */
export function hookEvent(
  event: FailureEventName,
  cause: FailureCause,
  run: { readonly pid: number; readonly adopted?: boolean | undefined } | undefined,
  end: ExitStatus,
  restarts: number,
  message: string,
): FailureEvent {
  const known = run?.adopted ? undefined : end;
  return {
    event,
    cause,
    end: known,
    exit: known ? describeEnd(known) : "ended (how is not known)",
    pid: run?.pid,
    restarts,
    message,
  };
}

/** Whether `end` is a failure: a non-zero exit, or a death by signal. */
export function failed(end: ExitStatus): boolean {
  return !("code" in end) || end.code !== 0;
}
