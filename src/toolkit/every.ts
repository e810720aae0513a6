/**
 * Repeat scheduling for daemons (the classic `repeat` decorator, done
 * right): a task every interval, never two runs at once, no drift, failures
 * logged without stopping the schedule, a prompt and clean stop.
 *
 * @module
 */

/** Time as the schedule sees it; tests pass a fake one. */
export interface Clock {
  /** Milliseconds since some fixed point. */
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done);
    }),
};

/** What a run of the task gets. */
export interface RunContext {
  /** 0 for the first run. */
  readonly index: number;
  /** Aborted when the schedule is stopping: finish up. */
  readonly signal: AbortSignal;
}

/** Options of {@link every}. */
export interface EveryOptions {
  /**
   * Run the task at most this many times.
   * @default {Infinity}
   */
  times?: number;
  /**
   * Stop after this many failed runs in a row.
   * @default {Infinity} never
   */
  maxFailures?: number;
  /**
   * Up to this many milliseconds added at random to each start, so that
   * many daemons on one schedule do not all run at once.
   * @default {0}
   */
  jitter?: number;
  /**
   * Run the first time at once (true) or after one interval.
   * @default {true}
   */
  immediate?: boolean;
  /** Stops the schedule when aborted (pass `daemon.signal`). */
  signal?: AbortSignal;
  /**
   * Milliseconds a running task may take to finish once the schedule is
   * stopping.
   * @default {10000}
   */
  grace?: number;
  /**
   * Called with each failure.
   * @default {a timestamped line on stderr}
   */
  onError?: (error: unknown, index: number) => void;
  /** The clock (tests pass a fake one). */
  clock?: Clock;
}

/** Why a schedule ended, and what it did. */
export interface ScheduleResult {
  /** It ran `times` times, was stopped, or failed `maxFailures` times in a row. */
  readonly reason: "times" | "stopped" | "failures";
  /** Runs started. */
  readonly runs: number;
  /** Runs that failed. */
  readonly failures: number;
}

/** A running schedule. */
export interface Schedule {
  /** Resolves when the schedule has ended (and its last run finished). */
  readonly done: Promise<ScheduleResult>;
  /**
   * Stops: no new run starts; a running one is asked to finish (its signal
   * aborts) and waited for up to `grace` ms. Resolves with the result.
   */
  stop(): Promise<ScheduleResult>;
}

function defaultOnError(error: unknown, index: number): void {
  const text = error instanceof Error ? error.stack ?? error.message : String(error);
  console.error(`${new Date().toISOString()} ERROR run ${index} failed: ${text}`);
}

/**
 * Runs `task` every `interval` milliseconds until stopped. Starts are laid on
 * a fixed grid (start + k × interval), so they do not drift however long the
 * runs take; a run longer than the interval makes the schedule skip the
 * starts it overlapped instead of running twice at once.
 *
 * @example Log the load every five seconds in a daemon
 * ```ts ignore
 * import { daemonize, every } from "../mod.ts";
 *
 * const daemon = await daemonize({ pidFile: "/tmp/load.pid" });
 * const schedule = every(5000, () => console.log(Deno.loadavg()), { signal: daemon.signal });
 * daemon.onStop(() => schedule.stop());
 * ```
 * @example Three runs, a millisecond apart
 * ```ts
 * import { every } from "./every.ts";
 *
 * const result = await every(1, ({ index }) => console.log(index), { times: 3 }).done;
 * console.log(result.runs); // 3
 * ```
 */
export function every(
  interval: number,
  task: (run: RunContext) => unknown,
  options: EveryOptions = {},
): Schedule {
  if (!Number.isFinite(interval) || interval <= 0) {
    throw new RangeError(
      `Cannot schedule: interval must be a positive number of ms, got ${interval}`,
    );
  }
  const clock = options.clock ?? systemClock;
  const times = options.times ?? Infinity;
  const maxFailures = options.maxFailures ?? Infinity;
  const jitter = options.jitter ?? 0;
  const grace = options.grace ?? 10_000;
  const onError = options.onError ?? defaultOnError;
  const stopping = new AbortController();
  options.signal?.addEventListener("abort", () => stopping.abort(), { once: true });
  if (options.signal?.aborted) stopping.abort();

  let runs = 0;
  let failures = 0;
  let inRow = 0;
  let running: Promise<unknown> | undefined;

  const loop = async (): Promise<ScheduleResult> => {
    const origin = clock.now();
    let slot = options.immediate === false ? 1 : 0;
    while (!stopping.signal.aborted) {
      if (runs >= times) return { reason: "times", runs, failures };
      const start = origin + slot * interval + (jitter > 0 ? Math.random() * jitter : 0);
      const wait = start - clock.now();
      if (wait > 0) await clock.sleep(wait, stopping.signal);
      if (stopping.signal.aborted) break;
      const index = runs++;
      running = Promise.resolve().then(() => task({ index, signal: stopping.signal }));
      try {
        await running;
        inRow = 0;
      } catch (error) {
        failures++;
        inRow++;
        onError(error, index);
        if (inRow >= maxFailures) return { reason: "failures", runs, failures };
      } finally {
        running = undefined;
      }
      // The next start on the grid that is still ahead: skipped ones overlapped.
      slot = Math.max(slot + 1, Math.floor((clock.now() - origin) / interval) + 1);
    }
    return { reason: "stopped", runs, failures };
  };
  const done = loop();

  return {
    done,
    async stop() {
      stopping.abort();
      const current = running;
      if (current) {
        const timeout = new AbortController();
        await Promise.race([
          current.catch(() => {}),
          clock.sleep(grace, timeout.signal),
        ]);
        timeout.abort();
        if (running === current) return { reason: "stopped", runs, failures };
      }
      return done;
    },
  };
}
