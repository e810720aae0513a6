/**
 * The `daemonize` command: parse, call the library, format. `main()` returns
 * the exit status; only the entry point exits.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };
import { asDaemonError, DaemonError } from "../errors.ts";
import {
  changeDirectory,
  cwd,
  readDirectory,
  readTextFileIfAny,
  removeFile,
  scriptArgs,
  writeTextFile,
} from "../host.ts";
import { DEFAULTS } from "../defaults.ts";
import { TOKEN_VARIABLE } from "../process/identity.ts";
import { joinPath as join, resolvePath } from "../paths.ts";
import { PidFile, runningMessage, whileLocked } from "../process/pid_file.ts";
import { readEnviron } from "../process/proc.ts";
import { isMarker, isRelaunched } from "../start/relaunch.ts";
import { recordPath } from "../supervisor/record.ts";
import {
  goOnOutside,
  type Output,
  processOutput,
  reloadCommand,
  statusAllCommand,
  statusCommand,
  stopCommand,
} from "./commands.ts";
import { didYouMean, parseArgs, type StartCommand, type Target, UsageError } from "./parse.ts";
import { checkName, ensureDirs, namedFiles, stateDirs, validName } from "./state.ts";
import { DaemonFileError, type FileDaemon, parseDaemonFile } from "./daemon_file.ts";
import { reportFailure } from "./failure.ts";

/** The file of daemons `up`, `down`, `status -f` and `unit -f` read unless told another. */
const DEFAULT_FILE = "daemonize.json";

/** The version printed by `--version`. */
export const VERSION: string = denoJson.version;

/** A start as saved for `restart` and `start NAME`: everything it was given. */
interface SavedStart {
  readonly args: readonly string[];
  readonly cwd: string;
  /**
   * The environment it was started with (the file is mode 0600); undefined
   * in a start saved by 0.1, which kept none.
   */
  readonly env: readonly string[] | undefined;
  /** The pid file it used. */
  readonly pidFile: string;
}

function readSaved(path: string): SavedStart | undefined {
  const text = readTextFileIfAny(path);
  if (text === undefined) return undefined;
  try {
    const saved = JSON.parse(text);
    const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
    if (!strings(saved.args) || typeof saved.cwd !== "string") return undefined;
    return {
      args: saved.args,
      cwd: saved.cwd,
      env: strings(saved.env) ? saved.env : undefined,
      pidFile: typeof saved.pidFile === "string" ? saved.pidFile : "",
    };
  } catch {
    return undefined;
  }
}

/** The saved starts in the state folder, by name. */
function savedStarts(): Map<string, SavedStart> {
  const run = stateDirs().run;
  const found = new Map<string, SavedStart>();
  let names: string[] = [];
  try {
    names = readDirectory(run);
  } catch {
    return found;
  }
  for (const file of names.filter((f) => f.endsWith(".json")).sort()) {
    const saved = readSaved(join(run, file));
    if (saved) found.set(file.slice(0, -".json".length), saved);
  }
  return found;
}

interface Resolved {
  readonly name: string;
  readonly pidFile: string;
  /** Where its start is saved (it may not be). */
  readonly commandFile: string | undefined;
}

/**
 * The daemon a command is about. A pid file's saved start (and so its name)
 * is looked up only `withSaved`: status and stop need neither.
 */
function resolveTarget(target: Target, withSaved = true): Resolved {
  if ("pidFile" in target) {
    const pidFile = resolvePath(cwd(), target.pidFile);
    if (!withSaved) return { name: pidFile, pidFile, commandFile: undefined };
    for (const [name, saved] of savedStarts()) {
      if (saved.pidFile === pidFile) {
        return { name, pidFile, commandFile: namedFiles(name).commandFile };
      }
    }
    return { name: pidFile, pidFile, commandFile: undefined };
  }
  const name = checkName(target.name);
  const files = namedFiles(name);
  const saved = readSaved(files.commandFile);
  return { name, pidFile: saved?.pidFile || files.pidFile, commandFile: files.commandFile };
}

/** This process's environment, without what a start adds. */
function ownEnvironment(): string[] {
  return (readEnviron("self") ?? []).filter((entry) =>
    !isMarker(entry) && !entry.startsWith(`${TOKEN_VARIABLE}=`)
  );
}

function envNames(env: readonly string[]): Map<string, string> {
  return new Map(env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

/** Variables a shell sets by itself: a difference in them says nothing. */
const SHELL_VARIABLES = new Set(["_", "PWD", "OLDPWD", "SHLVL"]);

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
async function start(
  parsed: StartCommand,
  args: readonly string[],
  io: Output,
  savedEnv?: readonly string[],
): Promise<number> {
  const name = checkName(parsed.name);
  const dirs = stateDirs();
  ensureDirs([
    dirs.run,
    ...(parsed.stdout === undefined || parsed.stderr === undefined ? [dirs.log] : []),
  ]);
  // The daemon's stage runs this command again while its starter holds the lock.
  if (isRelaunched()) return startLocked(name, parsed, args, io, savedEnv);
  const wait = (parsed.options.readyTimeout ?? 30_000) + 10_000;
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
  const before = isRelaunched() ? undefined : readSaved(files.commandFile);
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
  // Loaded here: stop and status, which need none of the start, load faster.
  const { daemonizeProgram } = await import("../daemonize.ts");
  const pid = await daemonizeProgram({
    command: parsed.program,
    env: replayed ? { ...Object.fromEntries(envNames(savedEnv)), ...parsed.env } : parsed.env,
    clearEnv: parsed.clearEnv || replayed,
    grace: parsed.grace,
    notify: parsed.notify,
    supervise: parsed.supervision,
    ready: parsed.ready,
  }, options);
  const env = savedEnv ?? ownEnvironment();
  const previous = savedEnv ? undefined : before;
  const saved: SavedStart = { args, cwd: cwd(), env, pidFile };
  try {
    writeTextFile(files.commandFile, JSON.stringify(saved) + "\n", 0o600);
  } catch {
    io.err(
      `daemonize: warning: cannot save the start command to ${files.commandFile}; restart won't work\n`,
    );
  }
  io.out(`${name} started (pid ${pid})\n`);
  if (previous) {
    const environment = previous.env ? envChanges(previous.env, env) : "";
    const changed = [
      previous.args.join("\0") !== args.join("\0")
        ? `command line (was: ${previous.args.join(" ")})`
        : "",
      previous.cwd !== saved.cwd ? `directory (was: ${previous.cwd})` : "",
      environment ? `environment (${environment})` : "",
    ].filter(Boolean);
    if (changed.length) {
      io.err(`daemonize: note: ${name} now starts with another ${changed.join(", ")}\n`);
    }
  }
  return 0;
}

/** Loads a saved start; a usage mistake when there is none. */
function loadSaved(t: Resolved, what: string): { saved: SavedStart; parsed: StartCommand } {
  const saved = t.commandFile ? readSaved(t.commandFile) : undefined;
  if (!saved) {
    throw new DaemonError(
      "saved-start",
      `cannot ${what} ${t.name}: this command did not start it${
        t.commandFile ? ` (no ${t.commandFile})` : ""
      }; ${what} it the way it was started, or start it here with a program`,
    );
  }
  const parsed = parseArgs(saved.args);
  if (parsed.command !== "start") {
    throw new DaemonError(
      "saved-start",
      `cannot ${what} ${t.name}: ${t.commandFile} is not a saved start`,
    );
  }
  return { saved, parsed };
}

/** Starts a saved daemon again, as it was started, in its directory and environment. */
function replay(saved: SavedStart, parsed: StartCommand, io: Output): Promise<number> {
  try {
    changeDirectory(saved.cwd);
  } catch (error) {
    throw asDaemonError("working-directory", `cannot change to ${saved.cwd}`, error);
  }
  return start(parsed, saved.args, io, saved.env);
}

async function restart(
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
    await stopCommand(t.name, t.pidFile, timeout, "TERM", io);
    const differs = saved.env ? envChanges(saved.env, ownEnvironment()) : "";
    if (differs && !parsed.clearEnv) {
      io.err(
        `daemonize: note: ${t.name} keeps the environment it was started with; yours differs (${differs}): start it again to change it\n`,
      );
    }
  }
  return replay(saved, parsed, io);
}

/** `forget`: removes a stopped daemon's saved start, pid file and log. */
function forget(target: Target, io: Output): number {
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
  const saved = t.commandFile ? readSaved(t.commandFile) : undefined;
  const removed: string[] = [];
  const remove = (what: string, path: string | undefined) => {
    try {
      if (path && removeFile(path)) removed.push(what);
    } catch (error) {
      throw asDaemonError("options", `cannot remove ${path}`, error);
    }
  };
  pidFile.removeIfStale();
  remove("saved start", saved ? t.commandFile : undefined);
  remove("supervisor's record", recordPath(t.pidFile));
  if (!("pidFile" in target)) {
    try {
      removeFile(namedFiles(t.name).lock);
    } catch {
      // Kept: harmless.
    }
    const parsed = saved ? parseArgs(saved.args) : undefined;
    // The named log, unless the saved start wrote its output elsewhere.
    if (!parsed || (parsed.command === "start" && parsed.stdout === undefined)) {
      remove("log", namedFiles(t.name).log);
    }
  }
  if (!saved && !removed.length) {
    io.err(`daemonize: no daemon named ${JSON.stringify(t.name)} is known\n`);
    return UNKNOWN_NAME;
  }
  io.out(`${t.name} forgotten${removed.length ? ` (removed its ${removed.join(" and ")})` : ""}\n`);
  return 0;
}

/** Where a daemon's output goes: its saved start's `--stdout` (or `--log`), else the named log. */
function logOf(t: Resolved): string {
  const saved = t.commandFile ? readSaved(t.commandFile) : undefined;
  const parsed = saved ? parseArgs(saved.args) : undefined;
  const given = parsed?.command === "start" || parsed?.command === "run"
    ? parsed.stdout ?? parsed.stderr
    : undefined;
  return given !== undefined ? resolvePath(saved!.cwd, given) : namedFiles(t.name).log;
}

/** Exit status for a name never known (LSB: "program is not installed"). */
const UNKNOWN_NAME = 5;

/**
 * Why a command can't be about `target`: a name with neither a saved start
 * nor a pid file was never known (a typo, most likely: the closest known
 * name is suggested). Undefined when it is known, or given by pid file.
 */
function neverKnown(target: Target, forgetting: boolean): string | undefined {
  if ("pidFile" in target) return undefined;
  const name = checkName(target.name);
  const files = namedFiles(name);
  if (readTextFileIfAny(files.commandFile) !== undefined) return undefined;
  if (new PidFile(files.pidFile).exists()) return undefined;
  // What a failed start leaves (its log, its lock) is something to forget.
  if (forgetting && [files.log, files.lock].some((f) => readTextFileIfAny(f) !== undefined)) {
    return undefined;
  }
  const run = stateDirs().run;
  let known: string[] = [];
  try {
    known = readDirectory(run).filter((f) => f.endsWith(".json") || f.endsWith(".pid"))
      .map((f) => f.replace(/\.(json|pid)$/, ""));
  } catch {
    // No state folder yet.
  }
  return `no daemon named ${JSON.stringify(name)} in ${run}${
    didYouMean(name, [...new Set(known)])
  }`;
}

/** The daemons of a file of daemons (`./daemonize.json` unless given). */
function daemonFile(path: string | undefined): FileDaemon[] {
  const file = resolvePath(cwd(), path ?? DEFAULT_FILE);
  const text = readTextFileIfAny(file);
  if (text === undefined) {
    throw new DaemonFileError(`${path ?? DEFAULT_FILE}: no such file`);
  }
  return parseDaemonFile(path ?? DEFAULT_FILE, text, file.slice(0, file.lastIndexOf("/")) || "/");
}

/** The daemons of the file named by `names` (all without names); a mistake for a name not in it. */
function chosen(path: string | undefined, names: readonly string[]): FileDaemon[] {
  const all = daemonFile(path);
  for (const name of names) {
    if (!all.some((d) => d.name === name)) {
      throw new DaemonFileError(
        `${path ?? DEFAULT_FILE}: no daemon named ${JSON.stringify(name)}${
          didYouMean(name, all.map((d) => d.name))
        }`,
      );
    }
  }
  return names.length ? all.filter((d) => names.includes(d.name)) : all;
}

/** Where a daemon of the file keeps its pid. */
function pidFileOf(d: FileDaemon): string {
  return d.parsed.pidFile !== undefined
    ? resolvePath(cwd(), d.parsed.pidFile)
    : namedFiles(d.name).pidFile;
}

/**
 * `up`: starts the file's daemons that are not running, each by a `start`
 * of its own (a daemon's set-up may run its start command again, which must
 * be that daemon's, not `up`); says so of those running already.
 */
async function upCommand(path: string | undefined, names: readonly string[], io: Output) {
  const daemons = chosen(path, names);
  const { sameCommand } = await import("../start/relaunch.ts");
  const { getLibc } = await import("../../ffi/libc.ts");
  const libc = getLibc();
  const self = sameCommand();
  const prefix = self.argv.slice(0, self.argv.length - scriptArgs().length);
  let failed = 0;
  for (const d of daemons) {
    const running = new PidFile(pidFileOf(d)).running();
    if (running) {
      io.out(`${d.name} ${runningMessage(running)}\n`);
      continue;
    }
    const pid = libc.spawn({
      path: self.path,
      argv: [...prefix, ...d.args],
      env: self.env,
      newSession: false,
      defaultSignals: [],
      fileActions: [],
    });
    const status = libc.waitpid(pid);
    if (!status || !("code" in status) || status.code !== 0) failed++;
  }
  return failed ? 1 : 0;
}

/** `down`: stops the file's daemons. */
async function downCommand(path: string | undefined, names: readonly string[], io: Output) {
  const daemons = chosen(path, names);
  // Run from inside one of them (a hook of its own), it goes on outside it first.
  for (const d of daemons) {
    if (await goOnOutside(d.name, pidFileOf(d), "down", io)) return 0;
  }
  let status = 0;
  for (const d of daemons) {
    const code = await stopCommand(d.name, pidFileOf(d), 10_000, "TERM", io);
    status = Math.max(status, code);
  }
  return status;
}

/** `unit`: prints the systemd unit of a command line or of a daemon of the file. */
async function unitCommand(
  parsed: { start: StartCommand | undefined; file: string | undefined; name: string | undefined },
  io: Output,
): Promise<number> {
  const start = parsed.start ?? chosen(parsed.file, [parsed.name!])[0]!.parsed;
  const { findProgram } = await import("../daemon/program.ts");
  const { getLibc } = await import("../../ffi/libc.ts");
  const { unitText } = await import("./unit.ts");
  const userUnit = getLibc().ids().euid !== 0;
  if (userUnit && (start.options.user !== undefined || start.options.group !== undefined)) {
    throw new UsageError("--user and --group need a system unit: run unit as root", "unit");
  }
  const path = start.env.PATH ?? getLibc().getenv("PATH");
  const programPath = findProgram(start.program[0]!, path, cwd());
  const unit = unitText(start, { programPath, directory: cwd(), userUnit });
  for (const note of unit.notes) io.err(`daemonize: note: ${note}\n`);
  io.out(unit.text);
  return 0;
}

/** Runs the `daemonize` command with `args`; returns the exit status. */
export async function main(
  args: readonly string[],
  io: Output = processOutput(),
): Promise<number> {
  const program = "daemonize";
  try {
    const parsed = parseArgs(args);
    if (
      parsed.command === "stop" || parsed.command === "restart" ||
      parsed.command === "reload" || parsed.command === "forget" || parsed.command === "logs"
    ) {
      const unknown = neverKnown(parsed.target, parsed.command === "forget");
      if (unknown) {
        io.err(`${program}: ${unknown}\n`);
        return UNKNOWN_NAME;
      }
    }
    switch (parsed.command) {
      case "help":
        io.out((await import("./help.ts")).helpText(program, parsed.topic, false));
        return 0;
      case "version":
        io.out(`${program} ${VERSION} (${denoJson.name}: the Unix daemonizer for Deno and Bun)\n`);
        return 0;
      case "start":
      case "run": {
        const t = parsed.bare && parsed.command === "start" && validName(parsed.program[0]!)
          ? resolveTarget({ name: parsed.program[0]! })
          : undefined;
        if (t?.commandFile && readSaved(t.commandFile)) {
          const { saved, parsed: again } = loadSaved(t, "start");
          return await replay(saved, again, io);
        }
        return await start(parsed, args, io);
      }
      case "stop": {
        const t = resolveTarget(parsed.target, false);
        if (await goOnOutside(t.name, t.pidFile, "stop", io)) return 0;
        return await stopCommand(
          t.name,
          t.pidFile,
          parsed.timeout,
          parsed.signal,
          io,
        );
      }
      case "restart":
        return await restart(parsed.target, parsed.timeout, io);
      case "reload": {
        const t = resolveTarget(parsed.target);
        const saved = t.commandFile ? readSaved(t.commandFile) : undefined;
        const again = saved ? parseArgs(saved.args) : undefined;
        const signal = again?.command === "start" ? again.reloadSignal : DEFAULTS.reloadSignal;
        return reloadCommand(t.name, t.pidFile, signal, io);
      }
      case "forget":
        return forget(parsed.target, io);
      case "logs": {
        const t = resolveTarget(parsed.target, false);
        const { logsCommand } = await import("./logs.ts");
        return await logsCommand(t.name, logOf(t), parsed.lines, parsed.follow, io);
      }
      case "status": {
        if (parsed.file !== undefined) {
          const daemons = daemonFile(parsed.file).map((d) => ({
            name: d.name,
            pidFile: pidFileOf(d),
          }));
          return statusAllCommand(stateDirs().run, daemons, parsed.json, io, true);
        }
        if (!parsed.target) {
          const daemons = [...savedStarts()].map(([name, saved]) => ({
            name,
            pidFile: saved.pidFile || namedFiles(name).pidFile,
          }));
          return statusAllCommand(stateDirs().run, daemons, parsed.json, io);
        }
        const t = resolveTarget(parsed.target, false);
        return statusCommand(t.name, t.pidFile, parsed.json, io);
      }
      case "unit":
        return await unitCommand(parsed, io);
      case "up":
        return await upCommand(parsed.file, parsed.names, io);
      case "down":
        return await downCommand(parsed.file, parsed.names, io);
    }
  } catch (error) {
    return reportFailure((text) => io.err(text), program, error);
  }
}
