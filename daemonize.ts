/**
 * Start a daemon: `daemonize()` turns this program into one, `detach()`
 * starts one and carries on, `daemonizeProgram()` runs another program as
 * one. Loads only the part of a start this process plays (the starter's or
 * the daemon's), nothing of the command line, the supervisor or the toolkit.
 *
 * @example Daemonize the rest of a program
 * ```ts ignore
 * import { daemonize } from "jsr:@seed/daemonize/daemonize";
 *
 * const daemon = await daemonize({ pidFile: "/tmp/app.pid", stdout: "/tmp/app.log" });
 * // Only the daemon gets here; the starter has exited 0.
 * const timer = setInterval(() => console.log("alive"), 1000);
 * daemon.onStop(() => clearInterval(timer));
 * ```
 *
 * @module
 */
export {
  type Daemon,
  daemonize,
  daemonizeProgram,
  detach,
  type DetachResult,
} from "./src/daemonize.ts";
export { DaemonError, isOptionError, type OptionError, type Step } from "./src/errors.ts";
export type { DaemonOptions, SignalAction, SignalMap, SignalName } from "./src/options.ts";
export type { PidFile } from "./src/process/pid_file.ts";
export type { Identity } from "./src/process/identity.ts";
export type { Member, ProcessTree, Sighting } from "./src/process/process_tree.ts";
export type { Program } from "./src/daemon/program.ts";
export type { RestartPolicy, Supervision } from "./src/supervisor/supervisor.ts";
export type { FailureHookSettings, HealthSettings } from "./src/supervisor/plan.ts";
export type { CronSettings } from "./src/supervisor/schedule_record.ts";
export type { WatchSettings } from "./src/supervisor/watch_paths.ts";
export type { ReadyCheck } from "./src/start/ready_probe.ts";
