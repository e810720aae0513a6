/**
 * The daemons `serve` shows: every known one, listed and reported as
 * `status --json` lists them, and where one's log is.
 *
 * @module
 */
import { knownDaemons, type Listed, reportsOf } from "../cli/commands.ts";
import { stateDirs, validName } from "../cli/state.ts";
import { knownNames } from "../cli/target_set.ts";
import { logOf, logPathOf as logOfTarget, resolveTarget } from "../cli/targets.ts";
import type { StatusReport } from "./status_report.ts";

/** Every known daemon, as `status` lists them. */
function everyListed(): Listed[] {
  const daemons = knownNames().map((name) => resolveTarget({ name }));
  const listed = daemons.map((t) => ({ name: t.name, pidFile: t.pidFile, log: logOfTarget(t) }));
  return knownDaemons(stateDirs().run, listed, false);
}

/**
 * The status report of every known daemon, sorted by name: the objects of
 * `status --json`, their CPU use measured over a moment (as `status` does)
 * when `recentCpu`; else without it (`serve` measures its own, over the
 * time between two samples).
 */
export async function everyReport(recentCpu: boolean): Promise<StatusReport[]> {
  return await reportsOf(everyListed(), recentCpu);
}

/** The report of the known daemon called `name`, or undefined. */
export async function reportNamed(
  name: string,
  recentCpu: boolean,
): Promise<StatusReport | undefined> {
  if (!validName(name)) return undefined;
  const listed = everyListed().filter((d) => d.name === name);
  return (await reportsOf(listed, recentCpu))[0];
}

/** The path of the log of the daemon called `name` (a valid name). */
export function logPathOf(name: string): string {
  return logOf(resolveTarget({ name }));
}
