/**
 * `control()`: a script that controls itself, as the classic `python
 * my_daemon.py start|stop|restart|status`. Its command-line side loads only
 * when it is called, so a program that does not call it does not pay for it.
 *
 * @module
 */
import type { Daemon } from "../daemonize.ts";
import type { ControlOptions } from "../options.ts";

export type { ControlOptions };
import { exit, scriptArgs } from "../host.ts";

/**
 * Runs the command given as the script's first argument:
 * - `start`: daemonizes; resolves with the daemon (in the daemon only);
 * - `run`: the same set-up in the foreground; resolves with the daemon;
 * - `stop`, `restart`, `reload`, `status`: does it and exits with its
 *   status (`restart` resolves in the new daemon).
 *
 * The pid file and log default to the named ones of the `daemonize`
 * command, so `daemonize status NAME` sees the script's daemon too.
 *
 * @example A self-controlling daemon
 * ```ts ignore
 * import { control } from "./control.ts";
 *
 * // deno run -A ticker.ts start|stop|restart|reload|status|run
 * const daemon = await control({ name: "ticker" });
 * const timer = setInterval(() => console.log("tick"), 1000);
 * daemon.onStop(() => clearInterval(timer));
 * ```
 */
export async function control(
  options: ControlOptions = {},
  args: readonly string[] = scriptArgs(),
): Promise<Daemon> {
  const { runControl } = await import("./run_control.ts");
  const result = await runControl(options, args);
  // Only here, the script's own entry, does a command end the process.
  if (typeof result === "number") exit(result);
  return result;
}
