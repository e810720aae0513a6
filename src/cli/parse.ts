/**
 * The command line of `daemonize`, parsed into what to do. Pure but for
 * `--env NAME`, whose value is read from the environment.
 *
 * @module
 */
import { getenv } from "../host.ts";
import { baseName as basename } from "../paths.ts";
import type { DaemonOptions } from "../options.ts";
import type { RestartPolicy, Supervision } from "../supervisor/supervisor.ts";
import type { ReadyCheck } from "../start/ready_probe.ts";
import { signalNumber } from "../signal_names.ts";
import { RESTART_POLICIES } from "../supervisor/record.ts";
import { SUPERVISION_VALUES, SWITCH_FLAGS, VALUE_FLAGS } from "./start_options.ts";

/** A value as a message shows it: quoted, escaped, and cut to 60 characters. */
export function quote(value: string): string {
  const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  return shown;
}

/** A mistake in the command line: printed on one line, exit status 2. */
export class UsageError extends Error {
  /** The command it concerns, for the `--help` hint. */
  readonly command: string | undefined;
  /** Creates the error. */
  constructor(message: string, command?: string) {
    // One line a terminal shows as it is: control characters made visible.
    super(
      message.replace(
        // deno-lint-ignore no-control-regex
        /[\x00-\x1f\x7f]/g,
        (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
      ),
    );
    this.name = "UsageError";
    this.command = command;
  }
}

/** Which daemon a command is about. */
export type Target = { readonly name: string } | { readonly pidFile: string };

/** What `start` and `run` do. */
export interface StartCommand {
  readonly command: "start" | "run";
  readonly name: string;
  /** Pid file given explicitly (else the named one). */
  readonly pidFile: string | undefined;
  /** Daemon options other than the pid file and logs. */
  readonly options: DaemonOptions;
  /** Explicit stream files; undefined ones default to the named log. */
  readonly stdout: string | undefined;
  readonly stderr: string | undefined;
  readonly program: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly clearEnv: boolean;
  /** Milliseconds the program must stay up for `start` to succeed. */
  readonly grace: number;
  /** Wait for the program's `READY=1` on `$NOTIFY_SOCKET`. */
  readonly notify: boolean;
  /** What proves the program ready, instead of `grace`. */
  readonly ready: ReadyCheck | undefined;
  /** The signal `reload` sends (`SIGHUP` unless given). */
  readonly reloadSignal: string;
  /**
   * How the program is supervised, when a process of ours stays as its parent
   * (`--restart`, a log limit, or `run` without `--exec`); undefined when the
   * program takes the daemon's place.
   */
  readonly supervision: Supervision | undefined;
  /**
   * Only a bare word was given (`start NAME`): the name of a saved daemon,
   * if there is one, else a program without arguments.
   */
  readonly bare: boolean;
}

/** A parsed command line. */
export type Parsed =
  | { readonly command: "help"; readonly topic: string | undefined }
  | { readonly command: "version" }
  | StartCommand
  | {
    readonly command: "stop" | "restart";
    readonly target: Target;
    readonly timeout: number;
    readonly signal: string;
  }
  | { readonly command: "reload"; readonly target: Target }
  | { readonly command: "forget"; readonly target: Target }
  | {
    readonly command: "logs";
    readonly target: Target;
    readonly lines: number;
    readonly follow: boolean;
  }
  | {
    readonly command: "status";
    readonly target: Target | undefined;
    readonly json: boolean;
    /** A file of daemons whose daemons are listed. */
    readonly file?: string | undefined;
  }
  | {
    readonly command: "unit";
    /** The daemon's options, from the command line. */
    readonly start: StartCommand | undefined;
    /** Or its entry in a file of daemons. */
    readonly file: string | undefined;
    readonly name: string | undefined;
  }
  | {
    readonly command: "up" | "down";
    readonly file: string | undefined;
    /** The daemons of the file to act on; all when empty. */
    readonly names: readonly string[];
  };

const START_VALUES: ReadonlySet<string> = VALUE_FLAGS;
const START_FLAGS: ReadonlySet<string> = new Set([...SWITCH_FLAGS, "--help", "-h"]);

interface Scanned {
  values: Map<string, string[]>;
  flags: Set<string>;
  positionals: string[];
  rest: string[] | undefined;
  /** Whether `rest` followed a `--`. */
  dashed: boolean;
}

/**
 * Splits `args` into options (with `--opt value` or `--opt=value`), flags
 * and positionals; with `stopAtPositional`, the first positional and
 * everything after it are the program (as after `--`).
 */
function scan(
  command: string,
  args: readonly string[],
  takesValue: ReadonlySet<string>,
  flags: ReadonlySet<string>,
  stopAtPositional: boolean,
): Scanned {
  const out: Scanned = {
    values: new Map(),
    flags: new Set(),
    positionals: [],
    rest: undefined,
    dashed: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.rest = args.slice(i + 1);
      out.dashed = true;
      break;
    }
    if (arg.startsWith("-") && arg !== "-") {
      const eq = arg.indexOf("=");
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      if (takesValue.has(name)) {
        const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
        if (value === undefined) {
          throw new UsageError(`option ${name} needs a value`, command);
        }
        out.values.set(name, [...(out.values.get(name) ?? []), value]);
      } else if (flags.has(name) && eq < 0) {
        out.flags.add(name);
      } else {
        throw new UsageError(
          `unknown option ${/^[!-~]{1,60}$/.test(name) ? name : quote(name)}${
            didYouMean(name, [...takesValue, ...flags])
          }`,
          command,
        );
      }
      continue;
    }
    if (stopAtPositional) {
      out.rest = args.slice(i);
      break;
    }
    out.positionals.push(arg);
  }
  return out;
}

/**
 * An `--env` entry: `NAME=VALUE`, or `NAME` alone for the value NAME has in
 * this environment. A message never shows a value.
 */
function envEntry(entry: string, command: string): [string, string] {
  const eq = entry.indexOf("=");
  const name = eq < 0 ? entry : entry.slice(0, eq);
  if (!/^[^\0=]+$/.test(name)) {
    throw new UsageError(
      `invalid --env ${eq < 0 ? quote(entry) : `${quote(name)}=…`}: expected NAME=VALUE or NAME`,
      command,
    );
  }
  if (eq >= 0) return [name, entry.slice(eq + 1)];
  const value = getenv(name);
  if (value === undefined) {
    throw new UsageError(`--env ${quote(name)}: ${name} is not set in the environment`, command);
  }
  return [name, value];
}

function single(
  scanned: Scanned,
  name: string,
  command: string,
): string | undefined {
  const values = scanned.values.get(name);
  if (!values) return undefined;
  if (values.length > 1) {
    throw new UsageError(`option ${name} given more than once`, command);
  }
  return values[0];
}

/** Parses seconds ("10", "0.5") into milliseconds. */
function seconds(
  text: string | undefined,
  option: string,
  command: string,
  fallback: number,
) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0) {
    throw new UsageError(
      `invalid ${option} ${quote(text)}: expected seconds`,
      command,
    );
  }
  return Math.round(value * 1000);
}

function parseStart(
  command: "start" | "run",
  args: readonly string[],
  context: string = command,
): Parsed {
  const s = scan(context, args, START_VALUES, START_FLAGS, true);
  if (s.flags.has("--help") || s.flags.has("-h")) {
    return { command: "help", topic: command };
  }
  const program = s.rest ?? [];
  if (program.length === 0 || program[0] === "") {
    throw new UsageError("missing program: give it after --", command);
  }
  const get = (name: string) => single(s, name, command);
  const umaskText = get("--umask");
  let umask: number | undefined;
  if (umaskText !== undefined) {
    if (!/^0?[0-7]{1,3}$/.test(umaskText)) {
      throw new UsageError(
        `invalid --umask ${quote(umaskText)}: expected octal like 022`,
        command,
      );
    }
    umask = parseInt(umaskText, 8);
  }
  const env: Record<string, string> = {};
  for (const entry of s.values.get("--env") ?? []) {
    const [name, value] = envEntry(entry, command);
    env[name] = value;
  }
  const log = get("--log");
  // Without --cwd, the directory start was run from (as pm2 does): relative
  // arguments then mean what they meant to the caller.
  const cwdOption = get("--cwd");
  const options: DaemonOptions = cwdOption === undefined ? {} : { workingDirectory: cwdOption };
  const put = <K extends keyof DaemonOptions>(
    key: K,
    value: DaemonOptions[K] | undefined,
  ) => {
    if (value !== undefined) options[key] = value;
  };
  put("umask", umask);
  put("user", get("--user"));
  put("group", get("--group"));
  put("chrootDirectory", get("--chroot"));
  const readyTimeout = seconds(
    get("--ready-timeout"),
    "--ready-timeout",
    command,
    30_000,
  );
  if (readyTimeout === 0) {
    throw new UsageError(
      "invalid --ready-timeout 0: must be positive",
      command,
    );
  }
  options.readyTimeout = readyTimeout;
  if (s.flags.has("--single-detach")) options.singleDetach = true;
  // start always detaches (whoever its parent is); run never does.
  options.detachProcess = command === "start";
  return {
    command,
    name: daemonName(get("--name"), basename(program[0]!), command),
    pidFile: get("--pid-file"),
    options,
    stdout: get("--stdout") ?? log,
    stderr: get("--stderr") ?? log,
    program,
    env,
    clearEnv: s.flags.has("--clear-env"),
    grace: seconds(get("--grace"), "--grace", command, 100),
    notify: s.flags.has("--notify"),
    ready: readyCheck(command, s, get),
    reloadSignal: signalOption(get("--reload-signal") ?? "HUP", "--reload-signal", command),
    supervision: supervisionOptions(command, s, get),
    bare: !s.dashed && program.length === 1 && s.values.size === 0 && s.flags.size === 0,
  };
}

/** The readiness check asked for (at most one, and not with --notify). */
function readyCheck(
  command: "start" | "run",
  s: Scanned,
  get: (name: string) => string | undefined,
): ReadyCheck | undefined {
  const given = ["--ready-port", "--ready-log", "--ready-cmd"].filter((o) => s.values.has(o));
  if (given.length === 0) return undefined;
  if (given.length > 1) throw new UsageError(`give one of ${given.join(", ")}`, command);
  if (s.flags.has("--notify")) {
    throw new UsageError(`give --notify or ${given[0]}, not both`, command);
  }
  if (command === "run") {
    throw new UsageError(`${given[0]} is for start (run has no starter to wait)`, command);
  }
  const port = get("--ready-port");
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      throw new UsageError(
        `invalid --ready-port ${quote(port)}: expected a port number 1-65535`,
        command,
      );
    }
    return { port: Number(port) };
  }
  const log = get("--ready-log");
  if (log !== undefined) {
    try {
      new RegExp(log);
    } catch (error) {
      throw new UsageError(
        `invalid --ready-log ${quote(log)}: ${(error as Error).message}`,
        command,
      );
    }
    return { log };
  }
  const cmd = get("--ready-cmd")!;
  if (cmd.trim() === "") throw new UsageError("invalid --ready-cmd: empty", command);
  return { command: cmd };
}

/** The supervision asked for, or undefined when the program takes our place. */
function supervisionOptions(
  command: "start" | "run",
  s: Scanned,
  get: (name: string) => string | undefined,
): Supervision | undefined {
  const restartText = get("--restart");
  if (restartText !== undefined && !RESTART_POLICIES.includes(restartText as RestartPolicy)) {
    throw new UsageError(
      `invalid --restart ${quote(restartText)}: expected no, on-failure or always`,
      command,
    );
  }
  const restart = (restartText ?? "no") as RestartPolicy;
  const maxSizeText = get("--log-max-size");
  const logMaxSize = maxSizeText === undefined
    ? undefined
    : size(maxSizeText, "--log-max-size", command);
  const memoryText = get("--max-memory");
  const maxMemory = memoryText === undefined
    ? undefined
    : size(memoryText, "--max-memory", command);
  const exec = s.flags.has("--exec");
  if (exec && command === "start") {
    throw new UsageError("--exec is an option of run (start execs unless supervising)", command);
  }
  const supervising = command === "run"
    ? !exec
    : restart !== "no" || logMaxSize !== undefined || maxMemory !== undefined ||
      s.flags.has("--log-time");
  const supervisionOnly = SUPERVISION_VALUES.find((o) => s.values.has(o)) ??
    (s.flags.has("--log-time") ? "--log-time" : undefined);
  const streams = ["--stdout", "--stderr", "--log"].find((o) => s.values.has(o));
  if (exec && streams) {
    throw new UsageError(`${streams} needs run's supervisor to write it: drop --exec`, command);
  }
  if (exec && supervisionOnly) {
    throw new UsageError(`${supervisionOnly} needs a supervisor: drop --exec`, command);
  }
  if (!supervising) {
    if (supervisionOnly) {
      throw new UsageError(
        `${supervisionOnly} needs a supervisor: give --restart on-failure (or always, --log-max-size, --log-time, --max-memory) too`,
        command,
      );
    }
    return undefined;
  }
  const restartDelay = seconds(get("--restart-delay"), "--restart-delay", command, 100);
  const restartWindow = seconds(get("--restart-window"), "--restart-window", command, 60_000);
  const maxText = get("--max-restarts");
  const maxRestarts = maxText === undefined ? 5 : count(maxText, "--max-restarts", command);
  const keepText = get("--log-keep");
  const logKeep = keepText === undefined ? 5 : count(keepText, "--log-keep", command);
  return {
    restart,
    restartDelay,
    maxRestarts,
    restartWindow,
    logMaxSize,
    logKeep,
    logTime: s.flags.has("--log-time"),
    maxMemory,
  };
}

/** A whole number of things (0 or more). */
function count(text: string, option: string, command: string): number {
  if (!/^\d{1,9}$/.test(text)) {
    throw new UsageError(
      `invalid ${option} ${quote(text)}: expected a whole number`,
      command,
    );
  }
  return Number(text);
}

/** A size: bytes, or a number with K, M or G (powers of 1024). */
function size(text: string, option: string, command: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG]?)i?B?$/i.exec(text.trim());
  const units: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
  const bytes = match ? Math.floor(Number(match[1]) * units[match[2]!.toUpperCase()]!) : NaN;
  if (!match || !(bytes >= 1024)) {
    throw new UsageError(
      `invalid ${option} ${quote(text)}: expected a size of at least 1K, like 10M`,
      command,
    );
  }
  return bytes;
}

/** A signal name (`HUP`, `SIGHUP`) as `SIGHUP`; a usage error otherwise. */
function signalOption(text: string, option: string, command: string): string {
  const name = `SIG${text.replace(/^SIG/i, "").toUpperCase()}`;
  if (signalNumber(name) === undefined || name === "SIGKILL" || name === "SIGSTOP") {
    throw new UsageError(`invalid ${option} ${quote(text)}: not a signal name`, command);
  }
  return name;
}

function parseTarget(
  command: "stop" | "restart" | "reload" | "status" | "forget" | "logs",
  args: readonly string[],
): Parsed {
  const values = new Set(["--pid-file"]);
  if (command === "logs") values.add("-n").add("--lines");
  if (command === "stop" || command === "restart") values.add("--timeout");
  if (command === "stop") values.add("--signal");
  const flags = new Set(["--help", "-h"]);
  if (command === "status") flags.add("--json");
  if (command === "status") values.add("-f").add("--file");
  if (command === "logs") flags.add("-f").add("--follow");
  const s = scan(command, args, values, flags, false);
  if (s.rest !== undefined) s.positionals.push(...s.rest);
  if (s.flags.has("--help") || s.flags.has("-h")) {
    return { command: "help", topic: command };
  }
  if (s.positionals.length > 1) {
    throw new UsageError(
      `unexpected argument ${quote(s.positionals[1]!)}`,
      command,
    );
  }
  const pidFile = single(s, "--pid-file", command);
  const name = s.positionals[0] === undefined
    ? undefined
    : nameOption(s.positionals[0], command, "NAME");
  if (name !== undefined && pidFile !== undefined) {
    throw new UsageError("give a NAME or --pid-file, not both", command);
  }
  const target: Target | undefined = pidFile !== undefined
    ? { pidFile }
    : name !== undefined
    ? { name }
    : undefined;
  if (command === "status") {
    const file = fileOption(s, command);
    if (file !== undefined && target !== undefined) {
      throw new UsageError("give a NAME or --file, not both", command);
    }
    return { command, target, json: s.flags.has("--json"), file };
  }
  if (!target) throw new UsageError("missing NAME or --pid-file", command);
  if (command === "reload" || command === "forget") return { command, target };
  if (command === "logs") {
    if (s.values.has("-n") && s.values.has("--lines")) {
      throw new UsageError("give -n or --lines, not both", command);
    }
    const text = single(s, "-n", command) ?? single(s, "--lines", command);
    const lines = text === undefined ? 10 : count(text, "-n", command);
    return { command, target, lines, follow: s.flags.has("-f") || s.flags.has("--follow") };
  }
  const signal = single(s, "--signal", command) ?? "TERM";
  if (signalNumber(signal) === undefined) {
    throw new UsageError(
      `invalid --signal ${quote(signal)}: not a signal name`,
      command,
    );
  }
  return {
    command,
    target,
    timeout: seconds(
      single(s, "--timeout", command),
      "--timeout",
      command,
      10_000,
    ),
    signal,
  };
}

/** `-f FILE` or `--file FILE`, given once. */
function fileOption(s: Scanned, command: string): string | undefined {
  if (s.values.has("-f") && s.values.has("--file")) {
    throw new UsageError("give -f or --file, not both", command);
  }
  const file = single(s, "-f", command) ?? single(s, "--file", command);
  if (file === "") throw new UsageError("invalid --file: empty", command);
  return file;
}

/** `unit [start options] -- PROGRAM`, or `unit -f FILE NAME`. */
function parseUnit(args: readonly string[]): Parsed {
  if (args[0] === "-f" || args[0] === "--file" || /^--file=/.test(args[0] ?? "")) {
    const s = scan("unit", args, new Set(["-f", "--file"]), new Set(["--help", "-h"]), false);
    if (s.flags.size) return { command: "help", topic: "unit" };
    if (s.rest !== undefined) s.positionals.push(...s.rest);
    if (s.positionals.length !== 1) {
      throw new UsageError("give the NAME of one daemon of the file", "unit");
    }
    return {
      command: "unit",
      start: undefined,
      file: fileOption(s, "unit"),
      name: nameOption(s.positionals[0]!, "unit", "NAME"),
    };
  }
  const start = parseStart("start", args, "unit");
  if (start.command === "help") return { command: "help", topic: "unit" };
  return { command: "unit", start: start as StartCommand, file: undefined, name: undefined };
}

/** `up` or `down` `[-f FILE] [NAME...]`. */
function parseUpDown(command: "up" | "down", args: readonly string[]): Parsed {
  const s = scan(command, args, new Set(["-f", "--file"]), new Set(["--help", "-h"]), false);
  if (s.flags.size) return { command: "help", topic: command };
  if (s.rest !== undefined) s.positionals.push(...s.rest);
  return {
    command,
    file: fileOption(s, command),
    names: s.positionals.map((name) => nameOption(name, command, "NAME")),
  };
}

const COMMANDS = [
  "start",
  "unit",
  "up",
  "down",
  "stop",
  "restart",
  "reload",
  "status",
  "logs",
  "list",
  "forget",
  "run",
  "help",
];

/** Whether `name` is a valid daemon name: letters, digits, `.`, `_`, `@`, `-`; no leading dot. */
export function validName(name: string): boolean {
  return /^[A-Za-z0-9_@-][A-Za-z0-9._@-]*$/.test(name) && name.length <= 100;
}

/** A daemon name from the command line; a usage error when it can't be one. */
function nameOption(name: string, command: string, what = "--name"): string {
  if (!validName(name)) {
    throw new UsageError(
      `invalid ${what} ${quote(name)}: use letters, digits, '.', '_', '@' and '-'`,
      command,
    );
  }
  return name;
}

/** The daemon's name: `--name`, else the program's base name if it can be one. */
function daemonName(given: string | undefined, program: string, command: string): string {
  if (given !== undefined) return nameOption(given, command);
  if (validName(program)) return program;
  throw new UsageError(
    `the program's name ${
      quote(program)
    } can't name the daemon: give --name (letters, digits, '.', '_', '@', '-')`,
    command,
  );
}

/** "; did you mean "x"?" for the closest of `candidates`, or "". */
export function didYouMean(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const limit = word.replace(/^-+/, "").length <= 4 ? 1 : 2;
  return best !== undefined && bestDistance <= limit ? `; did you mean ${quote(best)}?` : "";
}

/** Levenshtein distance, counting a swap of neighbours as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Parses the arguments of `daemonize` (without the program's own name). */
export function parseArgs(args: readonly string[]): Parsed {
  const [first, ...rest] = args;
  switch (first) {
    case undefined:
      throw new UsageError(
        "missing command (start, stop, restart, reload, status, logs, forget, run)",
      );
    case "-h":
    case "--help":
    case "help":
      return { command: "help", topic: rest[0] };
    case "-V":
    case "--version":
      return { command: "version" };
    case "start":
    case "run":
      return parseStart(first, rest);
    case "unit":
      return parseUnit(rest);
    case "up":
    case "down":
      return parseUpDown(first, rest);
    case "stop":
    case "restart":
    case "reload":
    case "status":
    case "forget":
    case "logs":
      return parseTarget(first, rest);
    case "delete":
      return parseTarget("forget", rest);
    case "list":
    case "ls":
      return parseTarget("status", rest);
    default:
      throw new UsageError(
        `unknown command ${quote(first)}${didYouMean(first, COMMANDS)}`,
      );
  }
}
