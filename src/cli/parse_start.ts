/**
 * The arguments of `start` and `run` parsed by the option table: each
 * option's value by the parser of its kind, then the rules between options
 * checked in one place.
 *
 * @module
 */
import { baseName } from "../paths.ts";
import type { DaemonOptions } from "../options.ts";
import type { Supervision } from "../supervisor/supervisor.ts";
import type { FailureHookSettings, HealthSettings } from "../supervisor/plan.ts";
import type { ReadyCheck } from "../start/ready_probe.ts";
import { scan, type Scanned, single } from "./args.ts";
import { PARSERS, validName } from "./option_values.ts";
import type { Parsed, StartCommand } from "./parsed.ts";
import { START_OPTIONS, type StartValues } from "./start_options.ts";
import { checkScheduleOptions, cronSettings } from "./cron_options.ts";
import { quote, UsageError } from "./usage.ts";
import { watchSettings } from "./watch_options.ts";

/** The options of `start` and `run` that take a value. */
export const VALUE_FLAGS: ReadonlySet<string> = new Set(
  START_OPTIONS.filter((o) => o.value !== undefined).map((o) => o.flag),
);
const SWITCHES: ReadonlySet<string> = new Set([
  ...START_OPTIONS.filter((o) => o.value === undefined).map((o) => o.flag),
  "--help",
  "-h",
]);
/** The options that take a value and need a supervisor. */
const SUPERVISION_VALUES: readonly string[] = START_OPTIONS
  .filter((o) => o.section === "supervision" && o.value !== undefined).map((o) => o.flag);
const READY_CHECKS = ["--ready-port", "--ready-log", "--ready-cmd"];
const HEALTH_CHECKS = ["--health-cmd", "--health-port"];
const HEALTH_SETTINGS = ["--health-interval", "--health-timeout", "--health-retries"];

/**
 * Parses `start` or `run` and their arguments; `context` is the command the
 * arguments were given to (`unit` takes those of `start`).
 */
export function parseStart(
  command: "start" | "run",
  args: readonly string[],
  context: string = command,
): Parsed {
  const s = scan(context, args, VALUE_FLAGS, SWITCHES, true);
  if (s.flags.has("--help") || s.flags.has("-h")) {
    return { command: "help", topic: command };
  }
  const program = s.rest ?? [];
  if (program.length === 0 || program[0] === "") {
    throw new UsageError("missing program: give it after --", command);
  }
  const v = optionValues(s, command);
  const name = v.name ?? programName(baseName(program[0]!), command);
  const supervising = checkCombinations(command, s, v);
  // Without --cwd, the directory start was run from (as pm2 does): relative
  // arguments then mean what they meant to the caller.
  const options: DaemonOptions = v.cwd === undefined ? {} : { workingDirectory: v.cwd };
  options.umask = v.umask;
  if (v.user !== undefined) options.user = v.user;
  if (v.group !== undefined) options.group = v.group;
  if (v.chroot !== undefined) options.chrootDirectory = v.chroot;
  options.readyTimeout = v.readyTimeout;
  if (v.singleDetach) options.singleDetach = true;
  // start always detaches (whoever its parent is); run never does.
  options.detachProcess = command === "start";
  const start: StartCommand = {
    command,
    name,
    pidFile: v.pidFile,
    options,
    stdout: v.stdout ?? v.log,
    stderr: v.stderr ?? v.log,
    program,
    env: Object.fromEntries(v.env),
    envFiles: v.envFile,
    clearEnv: v.clearEnv,
    grace: v.grace,
    settleLimit: v.settleLimit,
    notify: v.notify,
    ready: readyCheck(v),
    reloadSignal: v.reloadSignal,
    supervision: supervising ? supervision(v, name, command) : undefined,
    bare: !s.dashed && program.length === 1 && s.values.size === 0 && s.flags.size === 0,
  };
  return start;
}

/** Each option's value by its key: parsed by its kind's parser, else its default. */
function optionValues(s: Scanned, command: string): StartValues {
  const values: Record<string, unknown> = {};
  for (const o of START_OPTIONS) {
    if (o.type === "switch") {
      values[o.key] = s.flags.has(o.flag);
      continue;
    }
    const parse = PARSERS[o.type] as (text: string, flag: string, command: string) => unknown;
    if (o.repeatable) {
      values[o.key] = (s.values.get(o.flag) ?? []).map((text) => parse(text, o.flag, command));
      continue;
    }
    const text = single(s, o.flag, command);
    const value = text === undefined ? o.default : parse(text, o.flag, command);
    if (o.positive && value === 0) {
      throw new UsageError(`invalid ${o.flag} 0: must be positive`, command);
    }
    values[o.key] = value;
  }
  return values as StartValues;
}

/**
 * The rules between options: at most one readiness check, and not with
 * `--notify` or `run`; `--exec` only for run, and without what needs a
 * supervisor; supervision's options only with a supervisor. Returns whether
 * there is one.
 */
function checkCombinations(command: "start" | "run", s: Scanned, v: StartValues): boolean {
  const ready = READY_CHECKS.filter((o) => s.values.has(o));
  if (ready.length > 1) throw new UsageError(`give one of ${ready.join(", ")}`, command);
  if (ready.length && v.notify) {
    throw new UsageError(`give --notify or ${ready[0]}, not both`, command);
  }
  if (ready.length && command === "run") {
    throw new UsageError(`${ready[0]} is for start (run has no starter to wait)`, command);
  }
  // The settling limit is the default judge's: nothing else waits for it.
  const other = s.values.has("--grace") ? "--grace" : v.notify ? "--notify" : ready[0];
  if (s.values.has("--settle-limit") && other) {
    throw new UsageError(`give --settle-limit or ${other}, not both`, command);
  }
  if (v.exec && command === "start") {
    throw new UsageError("--exec is an option of run (start execs unless supervising)", command);
  }
  const health = checksHealth(command, s, v);
  const scheduled = checkScheduleOptions(command, s, v);
  const supervising = command === "run"
    ? !v.exec
    : v.restart !== "no" || v.logMaxSize !== undefined || v.maxMemory !== undefined || v.logTime ||
      health || v.onFailure !== undefined || v.watch.length > 0 || scheduled;
  if (s.values.has("--on-failure-timeout") && v.onFailure === undefined) {
    throw new UsageError("--on-failure-timeout needs --on-failure", command);
  }
  const supervisionOnly = SUPERVISION_VALUES.find((o) => s.values.has(o)) ??
    (v.logTime ? "--log-time" : undefined);
  const streams = ["--stdout", "--stderr", "--log"].find((o) => s.values.has(o));
  if (v.exec && streams) {
    throw new UsageError(`${streams} needs run's supervisor to write it: drop --exec`, command);
  }
  if (v.exec && supervisionOnly) {
    throw new UsageError(`${supervisionOnly} needs a supervisor: drop --exec`, command);
  }
  if (!supervising && supervisionOnly) {
    throw new UsageError(
      `${supervisionOnly} needs a supervisor: give --restart on-failure (or always, --log-max-size, --log-time, --max-memory, --health-cmd, --on-failure) too`,
      command,
    );
  }
  return supervising;
}

/**
 * Whether a health check is asked for (it needs a supervisor, and implies
 * one): one of `--health-cmd` and `--health-port`, which the other health
 * options need.
 */
function checksHealth(command: string, s: Scanned, v: StartValues): boolean {
  const checks = HEALTH_CHECKS.filter((o) => s.values.has(o));
  if (checks.length > 1) throw new UsageError(`give one of ${checks.join(", ")}`, command);
  const setting = HEALTH_SETTINGS.find((o) => s.values.has(o));
  if (setting && !checks.length) {
    throw new UsageError(
      `${setting} needs a health check: give --health-cmd or --health-port`,
      command,
    );
  }
  const privileged = ["--user", "--group", "--chroot"].find((o) => s.values.has(o));
  if (v.healthCmd !== undefined && privileged) {
    throw new UsageError(
      `--health-cmd can't go with ${privileged} (it would run as root, as the supervisor does): give --health-port instead`,
      command,
    );
  }
  return v.healthCmd !== undefined || v.healthPort !== undefined;
}

/** The health check asked for, if any. */
function healthCheck(v: StartValues): HealthSettings | undefined {
  if (v.healthCmd === undefined && v.healthPort === undefined) return undefined;
  return {
    ...(v.healthCmd !== undefined ? { command: v.healthCmd } : { port: v.healthPort }),
    interval: v.healthInterval,
    timeout: v.healthTimeout,
    retries: v.healthRetries,
  };
}

/** The readiness check asked for (checkCombinations let at most one through). */
function readyCheck(v: StartValues): ReadyCheck | undefined {
  if (v.readyPort !== undefined) return { port: v.readyPort };
  if (v.readyLog !== undefined) return { log: v.readyLog };
  if (v.readyCmd !== undefined) return { command: v.readyCmd };
  return undefined;
}

/** How a supervisor keeps the program of the daemon `name`. */
function supervision(v: StartValues, name: string, command: string): Supervision {
  return {
    restart: v.restart,
    restartDelay: v.restartDelay,
    maxRestarts: v.maxRestarts,
    restartWindow: v.restartWindow,
    logMaxSize: v.logMaxSize,
    logKeep: v.logKeep,
    logTime: v.logTime,
    maxMemory: v.maxMemory,
    health: healthCheck(v),
    onFailure: onFailureHook(v, name),
    watch: watchSettings(v, command),
    cron: cronSettings(v.cron, v.cronTz),
    restartAt: cronSettings(v.restartAt, v.cronTz),
  };
}

/** The daemon's name without `--name`: the program's base name, if it can be one. */
function programName(program: string, command: string): string {
  if (validName(program)) return program;
  throw new UsageError(
    `the program's name ${
      quote(program)
    } can't name the daemon: give --name (letters, digits, '.', '_', '@', '-')`,
    command,
  );
}

/** The on-failure hook asked for, if any (see `supervisor/failure_hook.ts`). */
function onFailureHook(v: StartValues, name: string): FailureHookSettings | undefined {
  if (v.onFailure === undefined) return undefined;
  return { command: v.onFailure, timeout: v.onFailureTimeout, name };
}
