/**
 * `forget`: a stopped daemon's files removed from the state folder — its
 * saved start, pid file, supervisor's record, start lock, and its log with
 * every rotated copy — only those a start of it wrote.
 *
 * @module
 */
import { asDaemonError } from "../errors.ts";
import { readDirectory, readTextFileIfAny, removeFile } from "../host.ts";
import { joinPath as join } from "../paths.ts";
import { PidFile } from "../process/pid_file.ts";
import { recordPath } from "../supervisor/record.ts";
import type { Output } from "./commands.ts";
import { parseArgs, type Target } from "./parse.ts";
import { readSaved, removeSaved } from "./saved_start.ts";
import { namedFiles } from "./state.ts";
import { clearStopMark } from "./stop_mark.ts";
import { resolveTarget } from "./targets.ts";
import { EXIT } from "./exit_codes.ts";

/** `path` and its rotated copies (`path.1`, `path.2`, …) that exist. */
function withRotated(path: string): string[] {
  const slash = path.lastIndexOf("/");
  const directory = path.slice(0, slash) || "/";
  const base = path.slice(slash + 1);
  let names: string[] = [];
  try {
    names = readDirectory(directory);
  } catch {
    return [];
  }
  const rotated = names
    .filter((f) => f.startsWith(`${base}.`) && /^\d+$/.test(f.slice(base.length + 1)))
    .sort((a, b) => Number(a.slice(base.length + 1)) - Number(b.slice(base.length + 1)));
  return [...(names.includes(base) ? [base] : []), ...rotated].map((f) => join(directory, f));
}

/** `forget`: removes a stopped daemon's saved start, pid file and log. */
export function forget(target: Target, io: Output): number {
  const t = resolveTarget(target);
  const pidFile = new PidFile(t.pidFile);
  const running = pidFile.running();
  if (running) {
    const n = running.others.length;
    io.err(
      `daemonize: ${t.name} is running (${
        running.main ? `pid ${running.main.pid}` : `${n} process${n === 1 ? "" : "es"} of it`
      }); stop it first\n`,
    );
    return 1;
  }
  const saved = t.savedName === undefined ? undefined : readSaved(t.savedName);
  const removed: string[] = [];
  const remove = (what: string, paths: readonly string[]) => {
    let any = false;
    for (const path of paths) {
      try {
        any = removeFile(path) || any;
      } catch (error) {
        throw asDaemonError("options", `cannot remove ${path}`, error);
      }
    }
    if (any) removed.push(what);
  };
  pidFile.removeIfStale();
  if (saved && removeSaved(t.savedName!)) removed.push("saved start");
  if (t.savedName !== undefined) clearStopMark(t.savedName);
  remove("supervisor's record", [recordPath(t.pidFile)]);
  if (!("pidFile" in target)) {
    const files = namedFiles(t.name);
    // A start of this name ran here: its saved start, or the lock a failed one left.
    const started = saved !== undefined || readTextFileIfAny(files.lock) !== undefined;
    try {
      removeFile(files.lock);
    } catch {
      // Kept: harmless.
    }
    const parsed = saved ? parseArgs(saved.args) : undefined;
    // The named log, unless the saved start wrote its output elsewhere.
    if (started && (!parsed || (parsed.command === "start" && parsed.stdout === undefined))) {
      remove("log", withRotated(files.log));
    }
  }
  if (!saved && !removed.length) {
    io.err(`daemonize: no daemon named ${JSON.stringify(t.name)} is known\n`);
    return EXIT.unknownName;
  }
  io.out(`${t.name} forgotten${removed.length ? ` (removed its ${removed.join(" and ")})` : ""}\n`);
  return 0;
}
