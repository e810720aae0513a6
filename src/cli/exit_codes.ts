/**
 * The exit statuses of `daemonize` and of a self-controlling script, each
 * named once: the LSB's where it has one (init script actions, `status`),
 * the shell's for a program that can't run.
 *
 * @module
 */

/** Every exit status the command returns, by what it means. */
export const EXIT = {
  /** Done; `status`: running. */
  ok: 0,
  /** Failed; `status`: dead, its pid file left (LSB 1 both). */
  failed: 1,
  /** A mistake in the command line or a file of daemons, or a permission the runtime lacks (LSB 2). */
  usage: 2,
  /** `status`: not running, or failed (LSB 3). */
  notRunning: 3,
  /** `status`: unknown, its pid file unreadable (LSB 4). */
  unknown: 4,
  /** A name never known (LSB 5, "not installed"). */
  unknownName: 5,
  /** `reload` of a daemon that is not running (LSB 7). */
  notRunningAction: 7,
  /** The program was found but can't be run (the shell's 126). */
  notExecutable: 126,
  /** The program was not found (the shell's 127). */
  notFound: 127,
} as const;
