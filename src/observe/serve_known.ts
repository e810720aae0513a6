/**
 * The daemons `serve` shows: every known one, listed and reported as
 * `status --json` lists them, and where one's log is.
 *
 * @module
 */
import type * as Fs from "node:fs";
import { type Listed, reportsOf } from "../cli/commands.ts";
import { knownDaemons } from "../cli/known_reports.ts";
import { stateDirs, validName } from "../cli/state.ts";
import { logOf, resolveTarget } from "../cli/targets.ts";
import type { StatusReport } from "./status_report.ts";
import { withOneLook } from "../process/proc.ts";

/** `node:fs`, loaded by `serve` only (a bundle hoists static imports to every command's start). */
let fs: typeof Fs;
/** The listing last made, and the state folders' change times it was made at. */
let cached: { key: string; at: number; listed: Listed[] } | undefined;
/** The longest a listing is kept, whatever the folders say (ms). */
const KEEP = 10_000;

/**
 * When the state folders last changed (a start saved or forgotten, a pid
 * file made or removed): the listing is made again when this changes.
 */
function foldersChanged(): string {
  const dirs = stateDirs();
  return [dirs.state, dirs.run].map((dir) => {
    try {
      return String(fs.statSync(dir, { bigint: true }).mtimeNs);
    } catch {
      return "none";
    }
  }).join(" ");
}

/** Every known daemon, as `status` lists them. */
function everyListed(): Listed[] {
  const key = foldersChanged();
  if (cached && cached.key === key && Date.now() - cached.at < KEEP) return cached.listed;
  cached = { key, at: Date.now(), listed: knownDaemons() };
  return cached.listed;
}

/**
 * The status report of every known daemon, sorted by name: the objects of
 * `status --json`, their CPU use measured over a moment (as `status` does)
 * when `recentCpu`; else without it (`serve` measures its own, over the
 * time between two samples).
 */
export async function everyReport(recentCpu: boolean): Promise<StatusReport[]> {
  fs ??= await import("node:fs");
  return await withOneLook(() => reportsOf(everyListed(), recentCpu));
}

/** The report of the known daemon called `name`, or undefined. */
export async function reportNamed(
  name: string,
  recentCpu: boolean,
): Promise<StatusReport | undefined> {
  if (!validName(name)) return undefined;
  fs ??= await import("node:fs");
  const listed = everyListed().filter((d) => d.name === name);
  return (await withOneLook(() => reportsOf(listed, recentCpu)))[0];
}

/** The path of the log of the daemon called `name` (a valid name). */
export function logPathOf(name: string): string {
  return logOf(resolveTarget({ name }));
}
