/**
 * A file of daemons (`daemonize.json`) at work: `up` starts its daemons
 * that are not running, `down` stops them; both, `status -f` and `unit -f`
 * read it through here.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";
import { cwd, readTextFileIfAny, scriptArgs } from "../host.ts";
import { resolvePath } from "../paths.ts";
import { PidFile, runningMessage } from "../process/pid_file.ts";
import { findOrphan } from "../supervisor/orphan.ts";
import { applyEntry, originOf, recordOrigin, reportRemoved, stopRemoved } from "./apply_file.ts";
import { goOnOutside, type Output, stopCommand } from "./commands.ts";
import { DaemonFileError, type FileDaemon, parseDaemonFile } from "./daemon_file.ts";
import { withoutEnvValues } from "./env_values.ts";
import { didYouMean } from "./parse.ts";
import { namedFiles } from "./state.ts";

/** The daemons of a file of daemons (`./daemonize.json` unless given). */
export function daemonFile(path: string | undefined): FileDaemon[] {
  const file = resolvePath(cwd(), path ?? DEFAULTS.daemonFile);
  const text = readTextFileIfAny(file);
  if (text === undefined) {
    throw new DaemonFileError(`${path ?? DEFAULTS.daemonFile}: no such file`);
  }
  return parseDaemonFile(
    path ?? DEFAULTS.daemonFile,
    text,
    file.slice(0, file.lastIndexOf("/")) || "/",
  );
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
 * be that daemon's, not `up`); restarts those running whose entry changed
 * (with `noRestart` only says so), and says so of the others; reports the
 * daemons started from the file that are no longer in it.
 */
export async function upCommand(
  path: string | undefined,
  names: readonly string[],
  io: Output,
  noRestart = false,
) {
  const daemons = chosen(path, names);
  const { sameCommand } = await import("../start/relaunch.ts");
  const { getLibc } = await import("../../ffi/libc.ts");
  const libc = getLibc();
  const self = sameCommand();
  const prefix = self.argv.slice(0, self.argv.length - scriptArgs().length);
  let failed = 0;
  for (const d of daemons) {
    const file = new PidFile(pidFileOf(d));
    const running = file.running();
    // A program whose supervisor was killed: its start takes it over.
    const orphan = running && !running.main && findOrphan(file.path, file.identity()?.token);
    if (running && !orphan) {
      if (await applyEntry(d, file.path, runningMessage(running), path, noRestart, io)) failed++;
      continue;
    }
    // Its --env values go in the environment, out of the process list.
    const hidden = withoutEnvValues(d.args);
    const names = new Set(hidden.env.map((e) => e.slice(0, e.indexOf("=") + 1)));
    const pid = libc.spawn({
      path: self.path,
      argv: [...prefix, ...hidden.args],
      env: [...self.env.filter((e) => !names.has(e.slice(0, e.indexOf("=") + 1))), ...hidden.env],
      newSession: false,
      defaultSignals: [],
      fileActions: [],
    });
    const status = libc.waitpid(pid);
    if (!status || !("code" in status) || status.code !== 0) failed++;
    else recordOrigin(d.name, originOf(path));
  }
  reportRemoved(path, daemonFile(path).map((d) => d.name), io);
  return failed ? 1 : 0;
}

/** `down`: stops the file's daemons. */
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
  for (const d of daemons) {
    const code = await stopCommand(
      d.name,
      pidFileOf(d),
      DEFAULTS.stopTimeout,
      DEFAULTS.stopSignal,
      io,
    );
    status = Math.max(status, code);
  }
  if (!names.length) reportRemoved(path, inFile, io);
  return status;
}
