/**
 * The reports of every known daemon, as `status` lists them: for whatever
 * shows them all (`status --json`, `status --prometheus`, `serve`).
 *
 * @module
 */
import { type Listed, listedDaemons, reportsOf } from "./commands.ts";
import type { StatusReport } from "./format.ts";
import { stateDirs } from "./state.ts";
import { knownNames } from "./target_set.ts";
import { logPathOf, resolveTarget } from "./targets.ts";

/** Every daemon with a saved start or a pid file of the state folder, with its log. */
export function knownDaemons(): Listed[] {
  const saved = knownNames().map((name) => resolveTarget({ name }))
    .map((t) => ({ name: t.name, pidFile: t.pidFile, log: logPathOf(t) }));
  return listedDaemons(stateDirs().run, saved);
}

/**
 * What `status --json` prints of every known daemon, in its order. With
 * `recentCpu`, each program's CPU use is measured over the half second
 * after the first look (one wait for all); without, `cpuPercent` is null.
 */
export function knownReports(recentCpu: boolean): Promise<StatusReport[]> {
  return reportsOf(knownDaemons(), recentCpu);
}
