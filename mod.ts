/**
 * Turn a Deno or Bun program into a well-behaved Unix daemon: double detach,
 * a locked pid file, privilege drop, and a start that tells the truth — the
 * starter exits 0 only once the daemon is ready, or prints the daemon's own
 * error and exits 1.
 *
 * @example Daemonize the rest of a program
 * ```ts ignore
 * import { daemonize } from "./mod.ts";
 *
 * const daemon = await daemonize({ pidFile: "/tmp/app.pid", stdout: "/tmp/app.log" });
 * // Only the daemon gets here; the starter has exited 0.
 * setInterval(() => console.log("alive"), 1000);
 * daemon.onStop(() => console.log("bye"));
 * ```
 *
 * @module
 */
export { type Daemon, daemonize, detach, type DetachResult } from "./src/daemonize.ts";
export { DaemonError, isOptionError, type OptionError, type Step } from "./src/errors.ts";
export type { DaemonOptions, SignalAction, SignalMap, SignalName } from "./src/options.ts";
export { PidFile } from "./src/process/pid_file.ts";
export type { Identity } from "./src/process/identity.ts";
export type { Member, ProcessTree, Sighting } from "./src/process/process_tree.ts";
export { type DaemonStatus, status, type Supervised } from "./src/control/status.ts";
export { reload, type ReloadOptions, signal, type SignalResult } from "./src/control/signal.ts";
export { stop, type StopOptions, type StopResult } from "./src/control/stop.ts";
export { daemonizeProgram } from "./src/daemonize.ts";
export { control, type ControlOptions } from "./src/cli/control.ts";
export { Logger, type LoggerOptions, type LogLevel } from "./src/toolkit/logger.ts";
export {
  type Clock,
  every,
  type EveryOptions,
  type RunContext,
  type Schedule,
  type ScheduleResult,
} from "./src/toolkit/every.ts";
export type { Program } from "./src/daemon/program.ts";
export type { RestartPolicy, Supervision } from "./src/supervisor/supervisor.ts";
export type { FailureHookSettings, HealthSettings } from "./src/supervisor/plan.ts";
export type { HealthResult, WatchRecord } from "./src/supervisor/record.ts";
export type { WatchSettings } from "./src/supervisor/watch_paths.ts";
export type {
  CronSettings,
  RestartAtRecord,
  ScheduledRun,
  ScheduleRecord,
} from "./src/supervisor/schedule_record.ts";
export type { ReadyCheck } from "./src/start/ready_probe.ts";
export { type Notify, notify } from "./src/toolkit/notify.ts";
export { type ListenFd, listenFds } from "./src/daemon/socket_activation.ts";

if (import.meta.main) {
  const { exit, requireFfi, scriptArgs } = await import("./src/host.ts");
  requireFfi("daemonize");
  const { main } = await import("./src/cli/main.ts");
  exit(await main(scriptArgs()));
}
