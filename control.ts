/**
 * A script that controls itself, as the classic `python my_daemon.py
 * start|stop|restart|status`: `control()` reads the command from the
 * script's arguments. Its command-line side loads only when it is called.
 *
 * @example A self-controlling daemon
 * ```ts ignore
 * import { control } from "jsr:@seed/daemonize/control";
 *
 * // deno run -A ticker.ts start|stop|restart|reload|status|run
 * const daemon = await control({ name: "ticker" });
 * const timer = setInterval(() => console.log("tick"), 1000);
 * daemon.onStop(() => clearInterval(timer));
 * ```
 *
 * @module
 */
export { control, type ControlOptions } from "./src/cli/control.ts";
export type { Daemon } from "./src/daemonize.ts";
export { DaemonError, type Step } from "./src/errors.ts";
export type { DaemonOptions, SignalAction, SignalMap, SignalName } from "./src/options.ts";
export type { PidFile } from "./src/process/pid_file.ts";
export type { Identity } from "./src/process/identity.ts";
export type { Member, ProcessTree, Sighting } from "./src/process/process_tree.ts";
