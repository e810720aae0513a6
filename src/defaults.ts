/**
 * The defaults of the library and the command, each written once: options,
 * help text and units read them from here, so that a default changed here
 * is changed everywhere it is used or shown.
 *
 * @module
 */

/** Every default, in milliseconds where it is a time. */
export const DEFAULTS = {
  /**
   * How long a daemon has to stop: its `onStop` callbacks' budget, what
   * `stop` waits before SIGKILL, and what a supervisor gives its program.
   */
  stopTimeout: 10_000,
  /** How long a start waits for the daemon to be ready before it kills it. */
  readyTimeout: 30_000,
  /**
   * Without `--grace` or a readiness check, a start counts once the program
   * has settled (see `start/settle.ts`): no sooner than this after it started…
   */
  settleMinimum: 100,
  /** …and no later than this, even if it is still busy. */
  settleLimit: 5_000,
  /** The signal `stop` sends first. */
  stopSignal: "SIGTERM",
  /** The signal `reload` sends. */
  reloadSignal: "SIGHUP",
  /** The file-creation mask: others may read, not write, what the daemon creates. */
  umask: 0o022,
  /** Whether a supervisor restarts its program. */
  restart: "no",
  /** The first restart's delay; each failure in a row doubles it. */
  restartDelay: 100,
  /** The longest delay between restarts. */
  maxRestartDelay: 30_000,
  /** Restarts allowed within `restartWindow` before the daemon has failed. */
  maxRestarts: 5,
  /** The window `maxRestarts` counts in. */
  restartWindow: 60_000,
  /** Rotated logs kept. */
  logKeep: 5,
  /** Time between two health checks. */
  healthInterval: 30_000,
  /** How long a health check may take. */
  healthTimeout: 5_000,
  /** Failed health checks in a row that restart the program. */
  healthRetries: 3,
  /** How long the on-failure hook may run. */
  onFailureTimeout: 30_000,
  /** Lines `logs` prints. */
  logLines: 10,
  /** The file of daemons `up`, `down`, `status -f` and `unit -f` read. */
  daemonFile: "daemonize.json",
} as const;
