/**
 * Which daemon a command is about: a name (its saved start and pid file)
 * or a pid file (and the name whose saved start uses it), and whether a
 * name was ever known.
 *
 * @module
 */
import { cwd, readDirectory, readTextFileIfAny } from "../host.ts";
import { resolvePath } from "../paths.ts";
import { PidFile } from "../process/pid_file.ts";
import { didYouMean, parseArgs, type Target } from "./parse.ts";
import { readSaved, savedNames, savedStarts } from "./saved_start.ts";
import { checkName, namedFiles, stateDirs, validName } from "./state.ts";

/** The daemon a command is about. */
export interface Resolved {
  readonly name: string;
  readonly pidFile: string;
  /** The name its start is saved under (it may not be saved). */
  readonly savedName: string | undefined;
}

/**
 * The daemon a command is about. A pid file's saved start (and so its name)
 * is looked up only `withSaved`: status and stop need neither.
 */
export function resolveTarget(target: Target, withSaved = true): Resolved {
  if ("pidFile" in target) {
    const pidFile = resolvePath(cwd(), target.pidFile);
    if (!withSaved) return { name: pidFile, pidFile, savedName: undefined };
    for (const [name, saved] of savedStarts()) {
      if (saved.pidFile === pidFile) return { name, pidFile, savedName: name };
    }
    return { name: pidFile, pidFile, savedName: undefined };
  }
  const name = checkName(target.name);
  const saved = readSaved(name);
  return { name, pidFile: saved?.pidFile || namedFiles(name).pidFile, savedName: name };
}

/** Where a daemon's output goes: its saved start's `--stdout` (or `--log`), else the named log. */
export function logOf(t: Resolved): string {
  const saved = t.savedName === undefined ? undefined : readSaved(t.savedName);
  const parsed = saved ? parseArgs(saved.args) : undefined;
  const given = parsed?.command === "start" || parsed?.command === "run"
    ? parsed.stdout ?? parsed.stderr
    : undefined;
  return given !== undefined ? resolvePath(saved!.cwd, given) : namedFiles(t.name).log;
}

/** Where a daemon's output goes, when that can be told (a daemon known by its pid file alone can't). */
export function logPathOf(t: Resolved): string | undefined {
  if (t.savedName === undefined && !validName(t.name)) return undefined;
  try {
    return logOf(t);
  } catch {
    return undefined;
  }
}

/**
 * Why a command can't be about `target`: a name with neither a saved start
 * nor a pid file was never known (a typo, most likely: the closest known
 * name is suggested). Undefined when it is known, or given by pid file.
 */
export function neverKnown(target: Target, forgetting: boolean): string | undefined {
  if ("pidFile" in target) return undefined;
  const name = checkName(target.name);
  const files = namedFiles(name);
  if (readSaved(name)) return undefined;
  if (new PidFile(files.pidFile).exists()) return undefined;
  // A failed start leaves its lock (and its log): something to forget.
  if (forgetting && readTextFileIfAny(files.lock) !== undefined) return undefined;
  const run = stateDirs().run;
  let pidFiles: string[] = [];
  try {
    pidFiles = readDirectory(run).filter((f) => f.endsWith(".pid")).map((f) => f.slice(0, -4));
  } catch {
    // No state folder yet.
  }
  const known = new Set([...savedNames(), ...pidFiles]);
  return `no daemon named ${JSON.stringify(name)} in ${run}${didYouMean(name, [...known])}`;
}
