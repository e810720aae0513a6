/**
 * The options of `start` and `run`, each described once: its flag, the
 * value it takes, its default, its help line, its key in a file of daemons
 * and what it becomes in a systemd unit. The parser, `--help`, the file's
 * checks and `daemonize unit` all read this table.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";
import type { RestartPolicy } from "../supervisor/record.ts";
import { RESTART_OPTIONS } from "./restart_options.ts";
import { HEALTH_OPTIONS } from "./health_options.ts";
import { ON_FAILURE_OPTIONS } from "./on_failure_options.ts";
import { WATCH_OPTIONS } from "./watch_options.ts";
import { CRON_OPTIONS } from "./cron_options.ts";
import { LOG_OPTIONS } from "./log_options.ts";

/**
 * What each kind of value is once parsed: `seconds` (a decimal number, 0 or
 * more, kept in milliseconds), `count` (a whole number), `size` (bytes, with
 * K, M or G), `octal`, `port` (1-65535), `regex`, `signal` (a name, kept as
 * `SIGNAME`), `policy` (`no`, `on-failure`, `always`), `variable`
 * (`NAME=VALUE`), `name` (a daemon name), `path`, `user`, `group`, `command`
 * (a shell command), `glob` (a file name pattern), `schedule` (a cron
 * expression), `zone` (a time zone) and `switch` (no value).
 */
export interface OptionValues {
  seconds: number;
  count: number;
  size: number;
  octal: number;
  port: number;
  regex: string;
  signal: string;
  policy: RestartPolicy;
  variable: readonly [name: string, value: string];
  name: string;
  path: string;
  user: string;
  group: string;
  command: string;
  glob: string;
  schedule: string;
  zone: string;
  switch: boolean;
}

/** The kinds of values; each selects its parser. */
export type OptionType = keyof OptionValues;

/** One option of `start` and `run` whose value is of kind `T`. */
interface OptionOf<T extends OptionType> {
  /** The long flag. */
  readonly flag: `--${string}`;
  /** What its value is, as the parser checks it. */
  readonly type: T;
  /** The value's placeholder in help (`SEC`, `PATH`); none for a switch. */
  readonly value?: string;
  /** Given more than once, each value counts. */
  readonly repeatable?: boolean;
  /** A value of 0 is refused. */
  readonly positive?: boolean;
  /** Its key in a file of daemons (camelCase), and in the parsed values. */
  readonly key: string;
  /** The value when it is not given. */
  readonly default?: OptionValues[T];
  /** The default as help shows it, when it is no value of the option's own. */
  readonly shown?: string;
  /** One line (or two) of help. */
  readonly help: string;
  /** Which part of the help it is listed in. */
  readonly section: "start" | "supervision" | "run";
  /** What it becomes in a systemd unit, or why it becomes nothing. */
  readonly unit: string;
}

/** One option of `start` and `run`. */
export type StartOption = { [T in OptionType]: OptionOf<T> }[OptionType];

/** The table, each entry checked against its kind of value. */
const OPTIONS = [
  {
    flag: "--name",
    type: "name",
    value: "NAME",
    key: "name",
    shown: "PROGRAM's base name",
    help: "name of the daemon",
    section: "start",
    unit: "Description=",
  },
  {
    flag: "--pid-file",
    type: "path",
    value: "PATH",
    key: "pidFile",
    shown: "STATE/NAME.pid",
    help: "pid file",
    section: "start",
    unit: "none: systemd tracks the process itself",
  },
  {
    flag: "--cwd",
    type: "path",
    value: "DIR",
    key: "cwd",
    shown: "the directory start is run from; / with --chroot",
    help: "working directory (a relative program is found there)",
    section: "start",
    unit: "WorkingDirectory=",
  },
  {
    flag: "--umask",
    type: "octal",
    value: "OCTAL",
    key: "umask",
    default: DEFAULTS.umask,
    help: "file-creation mask",
    section: "start",
    unit: "UMask= (four octal digits)",
  },
  {
    flag: "--user",
    type: "user",
    value: "USER",
    key: "user",
    shown: "unchanged",
    help: "run as this user (name or uid)",
    section: "start",
    unit: "User=",
  },
  {
    flag: "--group",
    type: "group",
    value: "GROUP",
    key: "group",
    shown: "the user's primary group",
    help: "run as this group",
    section: "start",
    unit: "Group=",
  },
  {
    flag: "--chroot",
    type: "path",
    value: "DIR",
    key: "chroot",
    shown: "none",
    help: "change the root directory first",
    section: "start",
    unit: "RootDirectory=",
  },
  {
    flag: "--stdout",
    type: "path",
    value: "FILE",
    key: "stdout",
    shown: "LOGS/NAME.log",
    help: "append standard output here",
    section: "start",
    unit: "StandardOutput=append:FILE",
  },
  {
    flag: "--stderr",
    type: "path",
    value: "FILE",
    key: "stderr",
    shown: "LOGS/NAME.log",
    help: "append standard error here",
    section: "start",
    unit: "StandardError=append:FILE",
  },
  {
    flag: "--log",
    type: "path",
    value: "FILE",
    key: "log",
    help: "both of the above",
    section: "start",
    unit: "StandardOutput= and StandardError=append:FILE",
  },
  {
    flag: "--env",
    type: "variable",
    value: "NAME[=VALUE]",
    repeatable: true,
    key: "env",
    help: "set a variable; NAME alone passes on its value here (repeatable; in a file, an object)",
    section: "start",
    unit: "EnvironmentFile= (a file of mode 0600 that unit writes: no value in the unit)",
  },
  {
    flag: "--env-file",
    type: "path",
    value: "FILE",
    repeatable: true,
    key: "envFile",
    help:
      "set the variables of FILE (NAME=value lines), read at each start and restart; --env and later files win (repeatable; in a file, a path or a list)",
    section: "start",
    unit: "EnvironmentFile=",
  },
  {
    flag: "--clear-env",
    type: "switch",
    key: "clearEnv",
    help: "start from an empty environment (PATH kept default)",
    section: "start",
    unit: "none: a unit's environment is always a clean one",
  },
  {
    flag: "--ready-timeout",
    type: "seconds",
    value: "SEC",
    key: "readyTimeout",
    default: DEFAULTS.readyTimeout,
    positive: true,
    help: "give up (and stop it) after this long",
    section: "start",
    unit: "TimeoutStartSec=",
  },
  {
    flag: "--grace",
    type: "seconds",
    value: "SEC",
    key: "grace",
    shown: "until it settles",
    help:
      "an exit within this long after start is a failed start; the start waits this long exactly",
    section: "start",
    unit: "none: systemd judges a start at the program's exec (Type=exec)",
  },
  {
    flag: "--settle-limit",
    type: "seconds",
    value: "SEC",
    key: "settleLimit",
    default: DEFAULTS.settleLimit,
    positive: true,
    help:
      `without --grace or a check, the start waits until the program settles (idle, waiting; at least ${
        DEFAULTS.settleMinimum / 1000
      } s), at most this long`,
    section: "start",
    unit: "none: systemd judges a start at the program's exec (Type=exec)",
  },
  {
    flag: "--notify",
    type: "switch",
    key: "notify",
    help: "wait for READY=1 on $NOTIFY_SOCKET (systemd's protocol)\ninstead, up to --ready-timeout",
    section: "start",
    unit: "Type=notify",
  },
  {
    flag: "--ready-port",
    type: "port",
    value: "PORT",
    key: "readyPort",
    help: "ready once a process of it listens on this TCP port",
    section: "start",
    unit: "none: systemd has no such check (use --notify)",
  },
  {
    flag: "--ready-log",
    type: "regex",
    value: "REGEX",
    key: "readyLog",
    help: "ready once a line of its output matches REGEX",
    section: "start",
    unit: "none: systemd has no such check (use --notify)",
  },
  {
    flag: "--ready-cmd",
    type: "command",
    value: "CMD",
    key: "readyCmd",
    help: "ready once the shell command CMD exits 0",
    section: "start",
    unit: "none: systemd has no such check (use --notify)",
  },
  {
    flag: "--single-detach",
    type: "switch",
    key: "singleDetach",
    help: "detach once: faster, the daemon leads its session",
    section: "start",
    unit: "none: systemd starts the program itself",
  },
  {
    flag: "--reload-signal",
    type: "signal",
    value: "SIG",
    key: "reloadSignal",
    default: DEFAULTS.reloadSignal,
    help: "the signal reload sends",
    section: "start",
    unit: "ExecReload=/bin/kill -SIG $MAINPID",
  },
  ...RESTART_OPTIONS,
  ...HEALTH_OPTIONS,
  ...ON_FAILURE_OPTIONS,
  ...WATCH_OPTIONS,
  ...CRON_OPTIONS,
  ...LOG_OPTIONS,
  {
    flag: "--exec",
    type: "switch",
    key: "exec",
    help: "run only: the program takes run's place (no supervisor)",
    section: "run",
    unit: "none: systemd is the supervisor",
  },
] as const satisfies readonly StartOption[];

/** Every option of `start` and `run`, in the order help lists them. */
export const START_OPTIONS: readonly StartOption[] = OPTIONS;

type Option = (typeof OPTIONS)[number];

/**
 * The values of the options, by key: a list for a repeatable option, the
 * default for one not given, undefined for one not given without a default.
 */
export type StartValues = {
  -readonly [O in Option as O["key"]]: O extends { readonly repeatable: true }
    ? OptionValues[O["type"]][]
    : O extends { readonly default: unknown } | { readonly type: "switch" }
      ? OptionValues[O["type"]]
    : OptionValues[O["type"]] | undefined;
};
