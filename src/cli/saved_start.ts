/**
 * Saved starts: how each named daemon was started (arguments, directory,
 * environment, pid file), kept in the state folder for `restart`, `start
 * NAME` and `status`. The file is the daemon's own (`NAME.start.json`, mode
 * 0600: the environment holds secrets), marked as a saved start; a file of
 * another kind where one must be written is refused, never overwritten.
 * It lives in the state folder, which a reboot keeps; a start saved by an
 * earlier version beside the pid files is still read, and moved on its next
 * save.
 *
 * @module
 */
import { DaemonError } from "../errors.ts";
import { readDirectory, readTextFileIfAny, removeFile, writeTextFile } from "../host.ts";
import { PidFile } from "../process/pid_file.ts";
import { withEnvValues } from "./env_values.ts";
import { namedFiles, stateDirs } from "./state.ts";

/** The mark of a saved start's file: what tells it from a file of the user's. */
const KIND = "daemonize saved start";

/** The file name of a saved start (`NAME.start.json`). */
const SUFFIX = ".start.json";

/** A start as saved for `restart` and `start NAME`: everything it was given. */
export interface SavedStart {
  readonly args: readonly string[];
  readonly cwd: string;
  /**
   * The environment it was started with (the file is mode 0600); undefined
   * in a start saved by 0.1, which kept none.
   */
  readonly env: readonly string[] | undefined;
  /** The pid file it used. */
  readonly pidFile: string;
  /** The file of daemons it was started from (an absolute path), if any. */
  readonly daemonFile?: string;
}

/** A saved start from its text; undefined when the text is not one. */
function parseSaved(text: string | undefined, marked: boolean): SavedStart | undefined {
  if (text === undefined) return undefined;
  try {
    const saved = JSON.parse(text);
    const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
    if (marked && saved?.kind !== KIND) return undefined;
    if (!strings(saved?.args) || typeof saved.cwd !== "string") return undefined;
    return {
      // `up` keeps --env values out of the arguments: they are in its environment.
      args: strings(saved.env) ? withEnvValues(saved.args, saved.env) : saved.args,
      cwd: saved.cwd,
      env: strings(saved.env) ? saved.env : undefined,
      pidFile: typeof saved.pidFile === "string" ? saved.pidFile : "",
      ...(typeof saved.daemonFile === "string" ? { daemonFile: saved.daemonFile } : {}),
    };
  } catch {
    return undefined;
  }
}

/** A saved start of an earlier version at `path`: `NAME.start.json` is marked, `NAME.json` not. */
function parseOld(path: string): SavedStart | undefined {
  return parseSaved(readTextFileIfAny(path), path.endsWith(SUFFIX));
}

/**
 * The saved start of daemon `name`: its own file, else one saved by an
 * earlier version beside the pid files (`NAME.start.json`, or `NAME.json`
 * read only when it has a saved start's shape).
 */
export function readSaved(name: string): SavedStart | undefined {
  const files = namedFiles(name);
  const saved = parseSaved(readTextFileIfAny(files.commandFile), true);
  if (saved) return saved;
  for (const path of files.oldCommandFiles) {
    const old = parseOld(path);
    if (old) return old;
  }
  return undefined;
}

/**
 * Why the state folder can't take daemon `name`'s files, or undefined: a
 * file it did not write stands where its saved start or pid file goes.
 */
function foreignFile(name: string, pidFile: string): string | undefined {
  const files = namedFiles(name);
  const text = readTextFileIfAny(files.commandFile);
  if (text !== undefined && !parseSaved(text, true)) {
    return `${files.commandFile} is not a saved start of daemonize`;
  }
  if (pidFile === files.pidFile) {
    const found = new PidFile(pidFile).inspect();
    if (found?.startsWith("it holds no pid")) {
      return `${pidFile} is not a pid file of daemonize (${found})`;
    }
  }
  return undefined;
}

/** Refuses a start whose state files would overwrite a file the state folder did not write. */
export function checkOwnFiles(name: string, pidFile: string): void {
  const foreign = foreignFile(name, pidFile);
  if (foreign) {
    throw new DaemonError(
      "saved-start",
      `${foreign}: move it away, or give the daemon another name`,
    );
  }
}

/** Saves daemon `name`'s start (mode 0600, written whole or not at all). */
export function writeSaved(name: string, saved: SavedStart): void {
  const files = namedFiles(name);
  writeTextFile(files.commandFile, JSON.stringify({ kind: KIND, ...saved }) + "\n", 0o600, true);
  // An earlier version's file goes once the start is saved anew.
  for (const path of files.oldCommandFiles) if (parseOld(path)) removeFile(path);
}

/** Removes daemon `name`'s saved start (both forms); true if there was one. */
export function removeSaved(name: string): boolean {
  const files = namedFiles(name);
  let removed = false;
  if (parseSaved(readTextFileIfAny(files.commandFile), true)) {
    removed = removeFile(files.commandFile) || removed;
  }
  for (const path of files.oldCommandFiles) {
    if (parseOld(path)) removed = removeFile(path) || removed;
  }
  return removed;
}

/** The names with a saved start in the state folder (or where earlier versions saved them). */
export function savedNames(): string[] {
  const dirs = stateDirs();
  const files: string[] = [];
  for (const dir of new Set([dirs.state, dirs.run])) {
    try {
      files.push(...readDirectory(dir));
    } catch {
      // No such folder yet.
    }
  }
  const names = new Set<string>();
  for (const file of files) {
    const name = file.endsWith(SUFFIX)
      ? file.slice(0, -SUFFIX.length)
      : file.endsWith(".json")
      ? file.slice(0, -".json".length)
      : undefined;
    if (name !== undefined && !names.has(name) && readSaved(name)) names.add(name);
  }
  return [...names].sort();
}

/** The saved starts in the state folder, by name. */
export function savedStarts(): Map<string, SavedStart> {
  return new Map(savedNames().map((name) => [name, readSaved(name)!]));
}
