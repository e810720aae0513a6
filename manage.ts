/**
 * A daemon seen from outside, through its pid file: `status()` says whether
 * it runs (under a supervisor, how its program does), `stop()` stops it
 * (every process of it, and only those), `reload()` and `signal()` send it
 * only a signal it handles, and `PidFile` reads what the file records.
 *
 * @example Stop a daemon if it runs
 * ```ts ignore
 * import { status, stop } from "jsr:@seed/daemonize/manage";
 *
 * if (status("/tmp/app.pid").state === "running") {
 *   console.log(await stop("/tmp/app.pid"));
 * }
 * ```
 *
 * @module
 */
export { type DaemonStatus, status, type Supervised } from "./src/control/status.ts";
export { reload, type ReloadOptions, signal, type SignalResult } from "./src/control/signal.ts";
export { stop, type StopOptions, type StopResult } from "./src/control/stop.ts";
export { PidFile } from "./src/process/pid_file.ts";
export type { HealthResult, RestartPolicy, WatchRecord } from "./src/supervisor/record.ts";
export type {
  RestartAtRecord,
  ScheduledRun,
  ScheduleRecord,
} from "./src/supervisor/schedule_record.ts";
export type { Identity } from "./src/process/identity.ts";
export type { Member, ProcessTree, Sighting } from "./src/process/process_tree.ts";
export { DaemonError, type Step } from "./src/errors.ts";
