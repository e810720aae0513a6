/**
 * A file of daemons (`daemonize.json`) at work: `up` starts its daemons
 * that are not running, `down` stops them; both, `status -f` and `unit -f`
 * read it through here.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";
import { cwd, readTextFileIfAny } from "../host.ts";
import { resolvePath } from "../paths.ts";
import { PidFile, runningMessage } from "../process/pid_file.ts";
import { findOrphan } from "../supervisor/orphan.ts";
import { applyEntry, originOf, recordOrigin, reportRemoved, stopRemoved } from "./apply_file.ts";
import { goOnOutside, type Output, stopCommand } from "./commands.ts";
import { DaemonFileError, type FileDaemon, parseDaemonFile } from "./daemon_file.ts";
import { ownCommandSpawner } from "./own_command.ts";
import { didYouMean } from "./parse.ts";
import { checkOrder, runInOrder, withDependencies } from "./daemon_order.ts";
import { checkPrograms } from "./file_checks.ts";
import { namedFiles } from "./state.ts";
import { markStopped, stoppedOnPurpose } from "./stop_mark.ts";

/** The daemons of a file of daemons (`./daemonize.json` unless given). */
export function daemonFile(path: string | undefined): FileDaemon[] {
  const file = resolvePath(cwd(), path ?? DEFAULTS.daemonFile);
  const text = readTextFileIfAny(file);
  if (text === undefined) {
    throw new DaemonFileError(`${path ?? DEFAULTS.daemonFile}: no such file`);
  }
  const daemons = parseDaemonFile(
    path ?? DEFAULTS.daemonFile,
    text,
    file.slice(0, file.lastIndexOf("/")) || "/",
  );
  checkOrder(path ?? DEFAULTS.daemonFile, daemons);
  return daemons;
}

/** The daemons of the file named by `names` (all without names); a mistake for a name not in it. */
export function chosen(path: string | undefined, names: readonly string[]): FileDaemon[] {
  const all = daemonFile(path);
  for (const name of names) {
    if (!all.some((d) => d.name === name)) {
      throw new DaemonFileError(
        `${path ?? DEFAULTS.daemonFile}: no daemon named ${JSON.stringify(name)}${
          didYouMean(name, all.map((d) => d.name))
        }`,
      );
    }
  }
  return names.length ? all.filter((d) => names.includes(d.name)) : all;
}

/** Where a daemon of the file keeps its pid. */
export function pidFileOf(d: FileDaemon): string {
  return d.parsed.pidFile !== undefined
    ? resolvePath(cwd(), d.parsed.pidFile)
    : namedFiles(d.name).pidFile;
}

/**
 * `up`: starts the file's daemons that are not running, each by a `start`
 * of its own (a daemon's set-up may run its start command again, which must
 * be that daemon's, not `up`), each once those it comes after are ready and
 * as many at once as can be; restarts those running whose entry changed
 * (with `noRestart` only says so) and says so of the others; reports the
 * daemons started from the file that are no longer in it. Named ones bring
 * what they come after along.
 */
export async function upCommand(
  path: string | undefined,
  names: readonly string[],
  io: Output,
  noRestart = false,
) {
  const all = daemonFile(path);
  chosen(path, names);
  const daemons = names.length ? withDependencies(all, names) : all;
  // Those running are left alone: a program replaced meanwhile is not a mistake of the file.
  await checkPrograms(
    path ?? DEFAULTS.daemonFile,
    daemons.filter((d) => !new PidFile(pidFileOf(d)).running()),
  );
  const { getLibc } = await import("../../ffi/libc.ts");
  const libc = getLibc();
  const spawnOwn = await ownCommandSpawner();
  const named = names.length > 0;
  // Those running first: left alone, or started again when their entry changed.
  const applied = new Map<string, boolean>();
  for (const d of daemons) {
    const file = new PidFile(pidFileOf(d));
    const running = file.running();
    // A program whose supervisor was killed: its start takes it over.
    const orphan = running && !running.main && findOrphan(file.path, file.identity()?.token);
    if (running && !orphan) {
      const failed = await applyEntry(d, file.path, runningMessage(running), path, noRestart, io);
      applied.set(d.name, !failed);
    }
  }
  const started = new Set<string>();
  const begin = (d: FileDaemon): number | { done: boolean } => {
    const ok = applied.get(d.name);
    if (ok !== undefined) return { done: ok };
    // Stopped on purpose (stop NAME), it stays stopped unless named.
    if (!named && stoppedOnPurpose(d.name)) {
      io.out(`${d.name} left stopped: it was stopped on purpose (up ${d.name} starts it)\n`);
      return { done: true };
    }
    return spawnOwn(d.args);
  };
  const wait = (running: ReadonlyMap<number, FileDaemon>): [number, boolean] => {
    for (;;) {
      const reaped = libc.reapAny(true);
      if (!reaped) throw new Error("up: a start went missing");
      const d = running.get(reaped.pid);
      if (d) {
        const ok = "code" in reaped.status && reaped.status.code === 0;
        if (ok) started.add(d.name);
        return [reaped.pid, ok];
      }
    }
  };
  const outcomes = runInOrder(
    daemons,
    (d) => d.after,
    begin,
    wait,
    (d, by) => io.err(`daemonize: ${d.name}: not started: ${by} failed to start\n`),
  );
  for (const name of started) recordOrigin(name, originOf(path));
  reportRemoved(path, all.map((d) => d.name), io);
  return [...outcomes.values()].some((o) => !o.ok) ? 1 : 0;
}

/** `down`: stops the file's daemons, each before those it comes after. */
export async function downCommand(path: string | undefined, names: readonly string[], io: Output) {
  // Those started from the file and no longer in it are stopped when named.
  const inFile = daemonFile(path).map((d) => d.name);
  const gone = await stopRemoved(path, names, inFile, io);
  if (names.length && !gone.rest.length) return gone.status;
  const daemons = chosen(path, gone.rest);
  // Run from inside one of them (a hook of its own), it goes on outside it first.
  for (const d of daemons) {
    if (await goOnOutside(d.name, pidFileOf(d), "down", io)) return 0;
  }
  let status = gone.status;
  const left = new Set(daemons);
  while (left.size) {
    // Those none left comes after: their dependents are stopped already.
    const wave = [...left].filter((d) => ![...left].some((o) => o.after.includes(d.name)));
    wave.forEach((d) => left.delete(d));
    const codes = await Promise.all(
      wave.map((d) =>
        stopCommand(d.name, pidFileOf(d), DEFAULTS.stopTimeout, DEFAULTS.stopSignal, io)
      ),
    );
    status = Math.max(status, ...codes);
    // Named, it was stopped on purpose; the whole file going down (as at shutdown) was not.
    wave.forEach((d, i) => {
      if (codes[i] === 0 && names.length) markStopped(d.name);
    });
  }
  if (!names.length) reportRemoved(path, inFile, io);
  return status;
}
