/**
 * `daemonize unit`: the systemd service unit that runs a daemon the way
 * `start` would, from the same options (see `start_options.ts` for what each
 * becomes). Pure: the caller resolves the program's path and directory.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";
import { resolvePath } from "../paths.ts";
import { quote, type StartCommand, UsageError } from "./parse.ts";
import { START_OPTIONS } from "./start_options.ts";
import { UNIT_ON_FAILURE_SCRIPT } from "./on_failure_options.ts";
import { type TimerFile, timerUnits } from "./unit_timer.ts";

/** What the unit needs beyond the command line. */
export interface UnitFacts {
  /** The program's absolute path. */
  readonly programPath: string;
  /** The working directory when `--cwd` is not given. */
  readonly directory: string;
  /** A unit of the user's own manager (`systemctl --user`), not of the system's. */
  readonly userUnit: boolean;
  /**
   * The file (mode 0600) the caller writes `--env` values to, for
   * `EnvironmentFile=`: a unit never holds a value.
   */
  readonly envValuesFile?: string | undefined;
}

/** A unit's text, and a note for each option systemd has no setting for. */
export interface Unit {
  readonly text: string;
  readonly notes: readonly string[];
  /** The `.timer` units (and the service one starts) beside it, with `--cron` or `--restart-at`. */
  readonly timers?: readonly TimerFile[];
}

/** `%` and `$` as systemd reads them literally: `%%` and `$$`. */
function literal(text: string, dollars: boolean): string {
  const percent = text.replaceAll("%", "%%");
  return dollars ? percent.replaceAll("$", "$$$$") : percent;
}

/** One word of a command line, quoted as systemd splits them. */
export function execWord(word: string): string {
  if (word === ";") return "\\;";
  if (/^[A-Za-z0-9_./:=+,@%$-]+$/.test(word)) return literal(word, true);
  const escaped = word.replace(
    /[\\"\n\t]/g,
    (c) => c === "\n" ? "\\n" : c === "\t" ? "\\t" : `\\${c}`,
  );
  return `"${literal(escaped, true)}"`;
}

/** Seconds for a `…Sec=` setting, from milliseconds. */
function sec(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The options given whose systemd counterpart is none, with why. */
function unmapped(start: StartCommand): string[] {
  const given: string[] = [];
  if (start.pidFile !== undefined) given.push("--pid-file");
  if (start.clearEnv) given.push("--clear-env");
  if (start.grace !== undefined && !start.notify) given.push("--grace");
  if (start.settleLimit !== DEFAULTS.settleLimit) given.push("--settle-limit");
  if (start.ready?.port !== undefined) given.push("--ready-port");
  if (start.ready?.log !== undefined) given.push("--ready-log");
  if (start.ready?.command !== undefined) given.push("--ready-cmd");
  if (start.options.singleDetach) given.push("--single-detach");
  if (start.supervision?.logMaxSize !== undefined) given.push("--log-max-size");
  if (start.supervision && start.supervision.logKeep !== DEFAULTS.logKeep) given.push("--log-keep");
  if (start.supervision?.logTime) given.push("--log-time");
  if (start.supervision?.health?.command !== undefined) given.push("--health-cmd");
  if (start.supervision?.health?.port !== undefined) given.push("--health-port");
  const hook = start.supervision?.onFailure;
  if (hook && hook.timeout !== DEFAULTS.onFailureTimeout) given.push("--on-failure-timeout");
  if (start.supervision?.watch) given.push("--watch");
  return given.map((flag) => {
    const why = START_OPTIONS.find((o) => o.flag === flag)!.unit.replace(/^none: /, "");
    return `${flag} has no systemd setting (${why}): left out`;
  });
}

/**
 * A value for a unit line that takes it as it is: refused with a control
 * character (a line break would start a line of its own).
 * @throws {UsageError} naming the option.
 */
function plain(flag: string, value: string): string {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) {
    throw new UsageError(
      `${flag} ${quote(value)} can't go into a unit: a control character`,
      "unit",
    );
  }
  return literal(value, false);
}

/** The unit for `start`'s command line; relative paths are taken from `facts.directory`. */
export function unitText(start: StartCommand, facts: UnitFacts): Unit {
  const path = (flag: string, value: string) => plain(flag, resolvePath(facts.directory, value));
  const o = start.options;
  // Inside a root directory, the working directory is a path in it.
  const cwd = o.workingDirectory === undefined
    ? (o.chrootDirectory ? "/" : facts.directory)
    : o.chrootDirectory
    ? resolvePath("/", o.workingDirectory)
    : resolvePath(facts.directory, o.workingDirectory);
  const supervision = start.supervision;
  const restart = supervision?.restart ?? "no";
  // With --cron, a timer starts each run: the service runs once, as long as it takes.
  const cron = supervision?.cron !== undefined;
  const unit = [
    "[Unit]",
    `Description=${literal(start.name, false)} (daemonize unit)`,
  ];
  if (restart !== "no") {
    unit.push(
      `StartLimitIntervalSec=${sec(supervision!.restartWindow)}`,
      `StartLimitBurst=${supervision!.maxRestarts + 1}`,
    );
  }
  const service = [
    "",
    "[Service]",
    `Type=${cron ? "oneshot" : start.notify ? "notify" : "exec"}`,
    `ExecStart=${[facts.programPath, ...start.program.slice(1)].map(execWord).join(" ")}`,
    `WorkingDirectory=${plain("--cwd", cwd)}`,
    `UMask=${(o.umask ?? DEFAULTS.umask).toString(8).padStart(4, "0")}`,
  ];
  if (o.user !== undefined) service.push(`User=${plain("--user", String(o.user))}`);
  if (o.group !== undefined) service.push(`Group=${plain("--group", String(o.group))}`);
  if (o.chrootDirectory !== undefined) {
    service.push(`RootDirectory=${path("--chroot", o.chrootDirectory)}`);
  }
  // Read in order, a later file winning: --env values last, as they win.
  for (const file of start.envFiles) {
    service.push(`EnvironmentFile=${path("--env-file", file)}`);
  }
  if (Object.keys(start.env).length > 0) {
    if (facts.envValuesFile === undefined) throw new Error("unit: no file for the --env values");
    service.push(`EnvironmentFile=${path("--env", facts.envValuesFile)}`);
  }
  if (start.stdout !== undefined) {
    service.push(`StandardOutput=append:${path("--stdout", start.stdout)}`);
  }
  if (start.stderr !== undefined) {
    service.push(`StandardError=append:${path("--stderr", start.stderr)}`);
  }
  if (restart !== "no") {
    service.push(`Restart=${restart}`, `RestartSec=${sec(supervision!.restartDelay)}`);
  }
  if (supervision?.maxMemory !== undefined) service.push(`MemoryMax=${supervision.maxMemory}`);
  if (supervision?.onFailure) {
    const words = [
      "/bin/sh",
      "-c",
      UNIT_ON_FAILURE_SCRIPT,
      "sh",
      start.name,
      supervision.onFailure.command,
    ];
    service.push(`ExecStopPost=-${words.map(execWord).join(" ")}`);
  }
  service.push(
    "LimitCORE=0",
    "KillMode=mixed",
    `TimeoutStartSec=${cron ? "infinity" : sec(o.readyTimeout ?? DEFAULTS.readyTimeout)}`,
    `TimeoutStopSec=${sec(DEFAULTS.stopTimeout)}`,
    `ExecReload=/bin/kill -s ${start.reloadSignal.replace(/^SIG/, "")} $MAINPID`,
  );
  const install = cron ? [] : [
    "",
    "[Install]",
    `WantedBy=${facts.userUnit ? "default.target" : "multi-user.target"}`,
  ];
  const timers = timerUnits(start, facts.userUnit);
  const text = [...unit, ...service, ...install].join("\n") + "\n";
  return { text, notes: unmapped(start), ...(timers.length ? { timers } : {}) };
}
