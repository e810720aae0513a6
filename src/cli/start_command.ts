/**
 * `start`, `run` and `restart` of a named daemon: one start of a name at a
 * time, its start saved for `restart`, and a note when it now starts
 * otherwise than before.
 *
 * @module
 */
import { asDaemonError, DaemonError } from "../errors.ts";
import { DEFAULTS } from "../defaults.ts";
import { changeDirectory, cwd, getenv, readTextFileIfAny } from "../host.ts";
import { parseRecord, recordPath } from "../supervisor/record.ts";
import { resolvePath } from "../paths.ts";
import { TOKEN_VARIABLE } from "../process/identity.ts";
import { PidFile, runningMessage, whileLocked } from "../process/pid_file.ts";
import { readEnviron } from "../process/proc.ts";
import {
  isMarker,
  isRelaunched,
  relaunchAdding,
  STAGE_VALUES_VARIABLE,
} from "../start/relaunch.ts";
import { goOnOutside, type Output, stopCommand } from "./commands.ts";
import { readEnvFiles } from "./env_file.ts";
import { maskEnvValues } from "./env_values.ts";
import { parseArgs, type StartCommand, type Target } from "./parse.ts";
import { checkOwnFiles, readSaved, type SavedStart, writeSaved } from "./saved_start.ts";
import { clearStopMark } from "./stop_mark.ts";
import { checkName, ensureDirs, namedFiles, stateDirs } from "./state.ts";
import { type Resolved, resolveTarget } from "./targets.ts";
import { checkWatch } from "./watch_options.ts";
import { checkSchedules } from "./cron_options.ts";

/** How much longer than its ready timeout a start of a name may hold the name (ms). */
const LOCK_SLACK = 10_000;

/** This process's environment, without what a start adds. */
function ownEnvironment(): string[] {
  return (readEnviron("self") ?? []).filter((entry) =>
    !isMarker(entry) && !entry.startsWith(`${TOKEN_VARIABLE}=`) &&
    !entry.startsWith(`${STAGE_VALUES_VARIABLE}=`)
  );
}

/**
 * The variables of the start's environment files: read now (relative to
 * the directory the start runs in) by its first process, which hands them
 * to the start's later stages in their environment, never in a command line.
 */
function envFileValues(parsed: StartCommand): Record<string, string> {
  if (parsed.envFiles.length === 0) return {};
  const carried = isRelaunched() ? getenv(STAGE_VALUES_VARIABLE) : undefined;
  if (carried !== undefined) return JSON.parse(carried);
  const values = readEnvFiles(parsed.envFiles, cwd(), parsed.command);
  relaunchAdding([`${STAGE_VALUES_VARIABLE}=${JSON.stringify(values)}`]);
  return values;
}

function envNames(env: readonly string[]): Map<string, string> {
  return new Map(env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

/**
 * Variables a shell sets by itself, and the one `serve` sets for itself under
 * Bun (`serve_quiet_collector.ts`) that a restart it runs inherits: a
 * difference in them says nothing.
 */
const SHELL_VARIABLES = new Set(["_", "PWD", "OLDPWD", "SHLVL", "BUN_GC_TIMER_DISABLE"]);

/** How environment `to` differs from `from`: "A added; B removed; C changed", or "". */
function envChanges(from: readonly string[], to: readonly string[]): string {
  const a = envNames(from);
  const b = envNames(to);
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [k, v] of b) {
    if (SHELL_VARIABLES.has(k)) continue;
    if (!a.has(k)) added.push(k);
    else if (a.get(k) !== v) changed.push(k);
  }
  for (const k of a.keys()) if (!b.has(k) && !SHELL_VARIABLES.has(k)) removed.push(k);
  const list = (names: string[], what: string) =>
    names.length
      ? `${names.sort().slice(0, 6).join(" ")}${names.length > 6 ? " …" : ""} ${what}`
      : "";
  return [list(added, "added"), list(removed, "removed"), list(changed, "changed")]
    .filter(Boolean).join("; ");
}

/**
 * Starts a daemon, one start of a name at a time (its check, the start and
 * the saved start under one lock), so that a name never runs twice.
 */
export async function start(
  parsed: StartCommand,
  args: readonly string[],
  io: Output,
  savedEnv?: readonly string[],
): Promise<number> {
  const name = checkName(parsed.name);
  await checkSchedules(parsed);
  // Checked before anything of the name is written (its lock too).
  const watch = parsed.supervision?.watch;
  if (watch && !isRelaunched()) checkWatch(watch, parsed.command);
  const dirs = stateDirs();
  ensureDirs([
    dirs.run,
    dirs.state,
    ...(parsed.stdout === undefined || parsed.stderr === undefined ? [dirs.log] : []),
  ]);
  // The daemon's stage runs this command again while its starter holds the lock.
  if (isRelaunched()) return startLocked(name, parsed, args, io, savedEnv);
  const wait = (parsed.options.readyTimeout ?? DEFAULTS.readyTimeout) + LOCK_SLACK;
  return await whileLocked(
    namedFiles(name).lock,
    wait,
    `another start of ${name} still runs after ${wait / 1000} s`,
    () => startLocked(name, parsed, args, io, savedEnv),
  );
}

async function startLocked(
  name: string,
  parsed: StartCommand,
  args: readonly string[],
  io: Output,
  savedEnv: readonly string[] | undefined,
): Promise<number> {
  const files = namedFiles(name);
  const pidFile = parsed.pidFile !== undefined ? resolvePath(cwd(), parsed.pidFile) : files.pidFile;
  // One daemon per name, wherever its last start put its pid file (checked
  // by the starter; the daemon's stage runs this again and need not).
  const before = isRelaunched() ? undefined : readSaved(name);
  // Nothing starts over a file of the user's where the state folder writes.
  if (!isRelaunched()) checkOwnFiles(name, pidFile);
  if (before?.pidFile && before.pidFile !== pidFile) {
    const running = new PidFile(before.pidFile).running();
    if (running) {
      throw new DaemonError(
        "pid-file",
        `${runningMessage(running)}, with pid file ${before.pidFile}`,
        {
          code: "EWOULDBLOCK",
        },
      );
    }
  }
  const options = {
    // The caller's directory, unless the daemon runs in a jail, where it
    // would not exist: then the jail's root.
    workingDirectory: parsed.options.chrootDirectory === undefined ? cwd() : "/",
    ...parsed.options,
    pidFile,
    // run writes to its own standard streams unless told otherwise.
    ...(parsed.command === "run" && parsed.stdout === undefined
      ? {}
      : { stdout: parsed.stdout ?? files.log }),
    ...(parsed.command === "run" && parsed.stderr === undefined
      ? {}
      : { stderr: parsed.stderr ?? files.log }),
  };
  // Replayed, the program gets the saved environment, not the caller's.
  const replayed = savedEnv !== undefined && !parsed.clearEnv;
  // The files' variables, read again at each start; --env wins over them.
  const env = { ...envFileValues(parsed), ...parsed.env };
  // Loaded here: stop and status, which need none of the start, load faster.
  const { daemonizeProgram } = await import("../daemonize.ts");
  const pid = await daemonizeProgram({
    command: parsed.program,
    env: replayed ? { ...Object.fromEntries(envNames(savedEnv)), ...env } : env,
    clearEnv: parsed.clearEnv || replayed,
    grace: parsed.grace,
    settleLimit: parsed.settleLimit,
    notify: parsed.notify,
    supervise: parsed.supervision,
    ready: parsed.ready,
  }, options);
  const environment = savedEnv ?? ownEnvironment();
  const previous = savedEnv ? undefined : before;
  // A start replayed keeps the file of daemons it came from.
  const from = savedEnv && before?.daemonFile ? { daemonFile: before.daemonFile } : {};
  const saved: SavedStart = { args, cwd: cwd(), env: environment, pidFile, ...from };
  try {
    writeSaved(name, saved);
  } catch {
    io.err(
      `daemonize: warning: cannot save the start command to ${files.commandFile}; restart won't work\n`,
    );
  }
  // Started again: no longer stopped on purpose.
  clearStopMark(name);
  const record = parseRecord(readTextFileIfAny(recordPath(pidFile)));
  if (record?.adopted && record.supervisor === pid && record.program !== null) {
    io.out(`${name} supervised again (pid ${pid}): its program, pid ${record.program}, ran on\n`);
  } else io.out(`${name} started (pid ${pid})\n`);
  if (previous) {
    const differs = previous.env ? envChanges(previous.env, environment) : "";
    const changed = [
      previous.args.join("\0") !== args.join("\0")
        ? `command line (was: ${maskEnvValues(previous.args).join(" ")})`
        : "",
      previous.cwd !== saved.cwd ? `directory (was: ${previous.cwd})` : "",
      differs ? `environment (${differs})` : "",
    ].filter(Boolean);
    if (changed.length) {
      io.err(`daemonize: note: ${name} now starts with another ${changed.join(", ")}\n`);
    }
  }
  return 0;
}

/** Loads a saved start; a usage mistake when there is none. */
export function loadSaved(t: Resolved, what: string): { saved: SavedStart; parsed: StartCommand } {
  const saved = t.savedName === undefined ? undefined : readSaved(t.savedName);
  const file = t.savedName === undefined ? undefined : namedFiles(t.savedName).commandFile;
  if (!saved) {
    throw new DaemonError(
      "saved-start",
      `cannot ${what} ${t.name}: this command did not start it${
        file ? ` (no ${file})` : ""
      }; ${what} it the way it was started, or start it here with a program`,
    );
  }
  const parsed = parseArgs(saved.args);
  if (parsed.command !== "start") {
    throw new DaemonError("saved-start", `cannot ${what} ${t.name}: ${file} is not a saved start`);
  }
  return { saved, parsed };
}

/** Starts a saved daemon again, as it was started, in its directory and environment. */
export function replay(saved: SavedStart, parsed: StartCommand, io: Output): Promise<number> {
  try {
    changeDirectory(saved.cwd);
  } catch (error) {
    throw asDaemonError("working-directory", `cannot change to ${saved.cwd}`, error);
  }
  return start(parsed, saved.args, io, saved.env);
}

export async function restart(
  target: Target,
  timeout: number,
  io: Output,
): Promise<number> {
  const t = resolveTarget(target);
  const { saved, parsed } = loadSaved(t, "restart");
  if (await goOnOutside(t.name, t.pidFile, "restart", io)) return 0;
  // The daemon's stages run this same command line again: only the first
  // process stops the old daemon and speaks of the environment.
  if (!isRelaunched()) {
    // A file that can't be read now would leave it stopped: checked first.
    readEnvFiles(parsed.envFiles, saved.cwd, "restart");
    await stopCommand(t.name, t.pidFile, timeout, DEFAULTS.stopSignal, io);
    const differs = saved.env ? envChanges(saved.env, ownEnvironment()) : "";
    if (differs && !parsed.clearEnv) {
      io.err(
        `daemonize: note: ${t.name} keeps the environment it was started with; yours differs (${differs}): start it again to change it\n`,
      );
    }
  }
  return replay(saved, parsed, io);
}
