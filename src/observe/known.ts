/**
 * The daemons `serve` shows: every known one, as `status --json` lists
 * them, and where one's log is.
 *
 * @module
 */
import { knownReports } from "../cli/commands.ts";
import type { StatusReport } from "../cli/format.ts";
import { savedStarts } from "../cli/saved_start.ts";
import { namedFiles, stateDirs, validName } from "../cli/state.ts";
import { logOf, resolveTarget } from "../cli/targets.ts";

/** The status report of every known daemon, sorted by name (the objects of `status --json`). */
export function everyReport(): StatusReport[] {
  const daemons = [...savedStarts()].map(([name, saved]) => ({
    name,
    pidFile: saved.pidFile || namedFiles(name).pidFile,
  }));
  return knownReports(stateDirs().run, daemons);
}

/** The report of the known daemon called `name`, or undefined. */
export function reportNamed(name: string): StatusReport | undefined {
  if (!validName(name)) return undefined;
  return everyReport().find((r) => r.name === name);
}

/** The path of the log of the daemon called `name` (a valid name). */
export function logPathOf(name: string): string {
  return logOf(resolveTarget({ name }));
}
