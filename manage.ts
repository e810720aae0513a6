/**
 * A daemon seen from outside, through its pid file: `status()` says whether
 * it runs, `stop()` stops it (every process of it, and only those), and
 * `PidFile` reads what the file records.
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
export { type DaemonStatus, status } from "./src/control/status.ts";
export { stop, type StopOptions, type StopResult } from "./src/control/stop.ts";
export { PidFile } from "./src/process/pid_file.ts";
export type { Identity } from "./src/process/identity.ts";
export type { Member, ProcessTree, Sighting } from "./src/process/process_tree.ts";
export { DaemonError, type Step } from "./src/errors.ts";
