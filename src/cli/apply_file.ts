/**
 * `up` applies its file: a running daemon whose entry changed since its
 * start is restarted with the new settings (or, with `--no-restart`, only
 * said to differ), and a daemon started from the file but no longer in it
 * is reported, never stopped unasked. Each saved start records the file it
 * came from for this.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";
import { cwd } from "../host.ts";
import { resolvePath } from "../paths.ts";
import { PidFile } from "../process/pid_file.ts";
import { type Output, stopCommand } from "./commands.ts";
import type { FileDaemon } from "./daemon_file.ts";
import { describeChanges, entryChanges } from "./entry_changes.ts";
import { runOwnCommand } from "./own_command.ts";
import { readSaved, removeSaved, savedStarts, writeSaved } from "./saved_start.ts";
import { namedFiles } from "./state.ts";

/** The file of daemons as a saved start records it: an absolute path. */
export function originOf(path: string | undefined): string {
  return resolvePath(cwd(), path ?? DEFAULTS.daemonFile);
}

/** The file as messages name it: as given, else the default. */
function shownFile(path: string | undefined): string {
  return path ?? DEFAULTS.daemonFile;
}

/** Records that daemon `name`'s saved start came from the file at `origin`. */
export function recordOrigin(name: string, origin: string): void {
  const saved = readSaved(name);
  if (!saved || saved.daemonFile === origin) return;
  try {
    writeSaved(name, { ...saved, daemonFile: origin });
  } catch {
    // Its start stands; only `up`'s report of removed entries misses it.
  }
}

/**
 * Starts a daemon of the file at `path` by a `start` of its own, and
 * records the file in its saved start; the start's exit status.
 */
export async function startEntry(d: FileDaemon, path: string | undefined): Promise<number> {
  const code = await runOwnCommand(d.args);
  if (code === 0) recordOrigin(d.name, originOf(path));
  return code;
}

/** Output that keeps errors and drops the rest. */
function errorsOnly(io: Output): Output {
  return { out: () => {}, err: (text) => io.err(text), colour: io.colour };
}

/**
 * `up` of a daemon of the file that runs (`runningLine` says how): left
 * alone when its entry is what it was started with; else restarted with
 * the entry's settings, naming what changed (an `env` variable by name,
 * never its value), or with `noRestart` only said to differ. Its exit status.
 */
export async function applyEntry(
  d: FileDaemon,
  pidFile: string,
  runningLine: string,
  path: string | undefined,
  noRestart: boolean,
  io: Output,
): Promise<number> {
  const saved = readSaved(d.name);
  const changes = saved ? entryChanges({ args: d.args }, saved) : [];
  if (!saved || changes.length === 0) {
    // Started as the file says: from the file, whoever ran the start.
    if (saved) recordOrigin(d.name, originOf(path));
    io.out(`${d.name} ${runningLine}\n`);
    return 0;
  }
  const what = describeChanges(changes);
  if (noRestart) {
    io.out(`${d.name}: differs from ${shownFile(path)} (${what}); not restarted (--no-restart)\n`);
    return 0;
  }
  const stopped = await stopCommand(
    d.name,
    pidFile,
    DEFAULTS.stopTimeout,
    DEFAULTS.stopSignal,
    errorsOnly(io),
  );
  if (stopped !== 0) return stopped;
  // Started anew, not as a change of its last start: that start is what was reported.
  removeSaved(d.name);
  const code = await startEntry(d, path);
  if (code !== 0) {
    // Its last start stays for `restart` and `start NAME`.
    if (!readSaved(d.name)) writeSaved(d.name, saved);
    io.err(`daemonize: ${d.name}: stopped to apply ${what}, but its new start failed\n`);
    return code;
  }
  io.out(`${d.name}: restarted (${what})\n`);
  return 0;
}

/** The daemons started from the file at `path` that are no longer in it, by name. */
export function removedEntries(
  path: string | undefined,
  inFile: readonly string[],
): Map<string, string> {
  const origin = originOf(path);
  const gone = new Map<string, string>();
  for (const [name, saved] of savedStarts()) {
    if (saved.daemonFile === origin && !inFile.includes(name)) {
      gone.set(name, saved.pidFile || namedFiles(name).pidFile);
    }
  }
  return gone;
}

/**
 * Says which daemons started from the file are no longer in it, and how to
 * stop (or forget) them; none is stopped.
 */
export function reportRemoved(
  path: string | undefined,
  inFile: readonly string[],
  io: Output,
): void {
  const file = shownFile(path);
  for (const [name, pidFile] of removedEntries(path, inFile)) {
    if (new PidFile(pidFile).running()) {
      const down = path === undefined ? `down ${name}` : `down -f ${path} ${name}`;
      io.out(`${name}: no longer in ${file}; ${down} stops it\n`);
    } else {
      io.out(
        `${name}: no longer in ${file} (not running); forget ${name} removes its saved start\n`,
      );
    }
  }
}

/**
 * `down NAME…` of daemons started from the file but no longer in it: stops
 * those named; returns the other names (to find in the file) and the status.
 */
export async function stopRemoved(
  path: string | undefined,
  names: readonly string[],
  inFile: readonly string[],
  io: Output,
): Promise<{ rest: string[]; status: number }> {
  const gone = removedEntries(path, inFile);
  let status = 0;
  for (const name of names.filter((n) => gone.has(n))) {
    const code = await stopCommand(
      name,
      gone.get(name)!,
      DEFAULTS.stopTimeout,
      DEFAULTS.stopSignal,
      io,
    );
    status ||= code;
  }
  return { rest: names.filter((n) => !gone.has(n)), status };
}
