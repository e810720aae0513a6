/**
 * When `serve` samples its daemons: rarely while nobody watches (an idle
 * `serve` does next to nothing), often while a page or event stream is
 * open, at once when the first watcher comes.
 *
 * @module
 */

/** The sampling periods (ms). */
export interface Periods {
  /** With no watcher. */
  readonly idle: number;
  /** With one or more. */
  readonly watched: number;
}

/** The periods `serve` uses. */
export const PERIODS: Periods = { idle: 60_000, watched: 2_000 };

/** Calls a sample function on a timer whose period depends on how many watch. */
export class Sampler {
  readonly #take: () => Promise<void>;
  readonly #periods: Periods;
  #watchers = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #last = 0;
  #stopped = false;

  /** Samples with `take` (at once, then on the timer) until {@link stop}. */
  constructor(take: () => Promise<void>, periods: Periods = PERIODS) {
    this.#take = take;
    this.#periods = periods;
    this.#tick();
  }

  /** One more watcher; the function returned says it left. */
  watch(): () => void {
    this.#watchers++;
    // Sooner, unless a sample is under way (it schedules the next).
    if (this.#watchers === 1 && this.#timer !== undefined) this.#schedule();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#watchers--;
    };
  }

  /** Stops sampling. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    this.#last = Date.now();
    this.#timer = undefined;
    this.#take().catch(() => undefined).finally(() => {
      if (!this.#stopped) this.#schedule();
    });
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    const period = this.#watchers ? this.#periods.watched : this.#periods.idle;
    const wait = Math.max(0, this.#last + period - Date.now());
    this.#timer = setTimeout(() => this.#tick(), wait);
  }
}
