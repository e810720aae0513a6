/**
 * The health check: while a supervised program runs, a shell command (that
 * must exit 0) or a TCP connection to a local port (that must be accepted),
 * one at a time, an interval apart, each within a time limit. After a number
 * of failures in a row the supervisor is told to restart the program.
 *
 * Nothing here blocks: a check is begun, then looked at every few
 * milliseconds until it ends or its time is up. A command runs in a session
 * of its own (so that all of it can be killed when it takes too long); the
 * supervisor, which reaps every child, hands its end over (`reaped`).
 *
 * @module
 */
import { startCommand } from "./shell_command.ts";
import { type ExitStatus, getLibc } from "../../ffi/libc.ts";
import { describeEnd, oneLine } from "../text.ts";
import type { HealthSettings } from "./plan.ts";
import type { HealthResult } from "./record.ts";

/** How often a check under way is looked at (ms). */
const LOOK_EVERY = 20;
/** How long to wait for a program that is not to be checked yet (starting, ending). */
const NOT_YET = 250;
/** The output of a command kept (its end), in characters. */
const OUTPUT_KEPT = 4096;
/** The lines of output a restart's log line shows at most. */
const OUTPUT_LINES = 5;

/** What the health check tells, and asks of, the supervisor. */
export interface HealthHooks {
  /** The program's pid while it is to be checked; null while not (starting, ending, stopping). */
  watched(): number | null;
  /** Each check's result. */
  checked(result: HealthResult): void;
  /**
   * `retries` failures in a row: the program is to be restarted. `output`
   * is the last lines of the last command's output (none for a port).
   */
  unhealthy(result: HealthResult, output: readonly string[]): void;
}

/** One check under way. */
interface Attempt {
  /** The program it checks. */
  readonly program: number;
  readonly deadline: number;
  /** A command check: its pid, its output's pipe, what it said so far, how it ended. */
  pid?: number;
  pipe?: number;
  output: string;
  status?: ExitStatus;
  /** A port check: the socket being connected. */
  socket?: number;
}

/** The last lines of `output`, each made printable, for a log line. */
export function lastLines(output: string, lines = OUTPUT_LINES): string[] {
  return output.split("\n").map((line) => line.trimEnd()).filter((line) => line !== "")
    .slice(-lines).map((line) => oneLine(line).slice(0, 300));
}

/** Checks a program's health; see the module's notes. */
export class HealthCheck {
  readonly #settings: HealthSettings;
  readonly #env: readonly string[];
  readonly #hooks: HealthHooks;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #attempt: Attempt | undefined;
  /** The program the failures in a row were counted for. */
  #program: number | null = null;
  #failures = 0;
  #stopped = false;

  /** Checks `settings`' command (run in `env`) or port; `start` begins. */
  constructor(settings: HealthSettings, env: readonly string[], hooks: HealthHooks) {
    this.#settings = settings;
    this.#env = env;
    this.#hooks = hooks;
  }

  /** Begins checking: the first check an interval after the program is to be checked. */
  start(): void {
    this.#schedule(NOT_YET);
  }

  /** Takes the end of a check's command, which the supervisor reaped; false if not one. */
  reaped(pid: number, status: ExitStatus): boolean {
    if (this.#attempt?.pid !== pid) return false;
    this.#attempt.status = status;
    return true;
  }

  /** Stops checking; a command still running is killed. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abandon();
  }

  /** Starts the next check (or looks at the one under way: `#look`) after `delay` ms. */
  #schedule(delay: number, then: () => void = () => this.#next()): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      then();
    }, delay);
  }

  #lookLater(): void {
    this.#schedule(LOOK_EVERY, () => this.#look());
  }

  /** Starts a check if the program is to be checked, and its interval has passed. */
  #next(): void {
    const program = this.#hooks.watched();
    if (program === null) return this.#schedule(NOT_YET);
    if (program !== this.#program) {
      // A new run: its failures count afresh, its first check an interval on.
      this.#program = program;
      this.#failures = 0;
      return this.#schedule(this.#settings.interval);
    }
    const deadline = Date.now() + this.#settings.timeout;
    try {
      this.#attempt = this.#settings.port !== undefined
        ? this.#connect(program, deadline)
        : this.#run(program, deadline);
    } catch (error) {
      return this.#ended(program, false, this.#failure(error), "");
    }
    this.#lookLater();
  }

  #connect(program: number, deadline: number): Attempt {
    const socket = getLibc().connectLoopback(this.#settings.port!);
    return { program, deadline, socket, output: "" };
  }

  #run(program: number, deadline: number): Attempt {
    const { pid, pipe } = startCommand("/bin/sh", ["sh", "-c", this.#settings.command!], this.#env);
    return { program, deadline, pid, pipe, output: "" };
  }

  /** Looks at the check under way: ended, timed out, or on. */
  #look(): void {
    const attempt = this.#attempt;
    if (!attempt || this.#stopped) return;
    const libc = getLibc();
    const timedOut = Date.now() >= attempt.deadline;
    const seconds = `${this.#settings.timeout / 1000} s`;
    if (attempt.socket !== undefined) {
      const made = libc.connected(attempt.socket);
      if (made === undefined && !timedOut) return this.#lookLater();
      this.#abandon();
      const port = `port ${this.#settings.port}`;
      const message = made === undefined
        ? `${port}: no connection within ${seconds}`
        : made
        ? `${port}: connection accepted`
        : `${port}: connection refused`;
      return this.#ended(attempt.program, made === true, message, "");
    }
    this.#drain(attempt);
    if (attempt.status === undefined && !timedOut) return this.#lookLater();
    const status = attempt.status;
    this.#abandon();
    const last = lastLines(attempt.output, 1)[0];
    const message = status === undefined
      ? `still running after ${seconds}; killed`
      : describeEnd(status) + (last ? `: ${last}` : "");
    const ok = status !== undefined && "code" in status && status.code === 0;
    this.#ended(attempt.program, ok, message, attempt.output);
  }

  /** Reads what the command wrote so far, keeping its end. */
  #drain(attempt: Attempt): void {
    if (attempt.pipe === undefined) return;
    const libc = getLibc();
    const buffer = new Uint8Array(16 * 1024);
    const decoder = new TextDecoder();
    try {
      while (libc.poll([attempt.pipe], 0).length) {
        const n = libc.read(attempt.pipe, buffer);
        if (n <= 0) break;
        attempt.output = (attempt.output + decoder.decode(buffer.subarray(0, n)))
          .slice(-OUTPUT_KEPT);
      }
    } catch {
      // What it said is not read; its status still counts.
    }
  }

  /** Ends the check under way: its socket or pipe closed, a command still running killed. */
  #abandon(): void {
    const attempt = this.#attempt;
    if (!attempt) return;
    this.#attempt = undefined;
    const libc = getLibc();
    for (const fd of [attempt.socket, attempt.pipe]) {
      if (fd === undefined) continue;
      try {
        libc.close(fd);
      } catch {
        // Closed already.
      }
    }
    if (attempt.pid !== undefined && attempt.status === undefined) {
      try {
        // Its whole session's group: the shell and what it started.
        libc.kill(-attempt.pid, libc.constants.signals.SIGKILL!);
      } catch {
        // Ended meanwhile.
      }
    }
  }

  #failure(error: unknown): string {
    const e = error as { code?: string; message?: string };
    if (this.#settings.port !== undefined) {
      const port = `port ${this.#settings.port}`;
      return e.code === "ECONNREFUSED" ? `${port}: connection refused` : `${port}: ${e.message}`;
    }
    return `cannot run the check: ${e.message}`;
  }

  /** Counts a check's result, says it, and restarts after too many failures. */
  #ended(program: number, ok: boolean, message: string, output: string): void {
    if (this.#stopped) return;
    // The program ended (or is ending) meanwhile: this result is not its.
    if (this.#hooks.watched() !== program) return this.#schedule(NOT_YET);
    this.#failures = ok ? 0 : this.#failures + 1;
    const result: HealthResult = {
      ok,
      failures: this.#failures,
      retries: this.#settings.retries,
      at: Date.now(),
      message,
    };
    this.#hooks.checked(result);
    if (!ok && this.#failures >= this.#settings.retries) {
      this.#failures = 0;
      this.#hooks.unhealthy(result, lastLines(output));
    }
    this.#schedule(this.#settings.interval);
  }
}
