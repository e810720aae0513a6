/**
 * A daemon's log file: timestamped lines with levels, rotated by size, and
 * reopened on a signal after an outside rotation.
 *
 * @example Log to a rotated file
 * ```ts ignore
 * import { Logger } from "jsr:@seed/daemonize/logger";
 *
 * const log = new Logger("/tmp/app.log", { maxBytes: 10_000_000, backups: 5 });
 * log.info("started");
 * ```
 *
 * @module
 */
export { Logger, type LoggerOptions, type LogLevel } from "./src/toolkit/logger.ts";
export type { SignalName } from "./src/options.ts";
