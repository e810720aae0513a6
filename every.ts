/**
 * Repeat scheduling for daemons: `every()` runs a task every interval,
 * never two runs at once, without drift, and stops promptly and cleanly.
 *
 * @example Three runs, a millisecond apart
 * ```ts ignore
 * import { every } from "jsr:@seed/daemonize/every";
 *
 * const result = await every(1, ({ index }) => console.log(index), { times: 3 }).done;
 * console.log(result.runs); // 3
 * ```
 *
 * @module
 */
export {
  type Clock,
  every,
  type EveryOptions,
  type RunContext,
  type Schedule,
  type ScheduleResult,
} from "./src/toolkit/every.ts";
