/**
 * The options of `start` and `run`, each described once: its flag, the
 * value it takes, its default, its help line, its key in a file of daemons
 * and what it becomes in a systemd unit. The parser, `--help`, the file's
 * checks and `daemonize unit` all read this table.
 *
 * @module
 */

/**
 * The kinds of values: `seconds` (a decimal number, 0 or more), `count` (a
 * whole number), `size` (bytes, with K, M or G), `octal`, `port` (1-65535),
 * `regex`, `signal` (a name), `policy` (`no`, `on-failure`, `always`),
 * `variable` (`NAME=VALUE`), `name` (a daemon name), `path`, `user`,
 * `group`, `command` (a shell command), and `switch` (no value).
 */
export type OptionType =
  | "seconds"
  | "count"
  | "size"
  | "octal"
  | "port"
  | "regex"
  | "signal"
  | "policy"
  | "variable"
  | "name"
  | "path"
  | "user"
  | "group"
  | "command"
  | "switch";

/** One option of `start` and `run`. */
export interface StartOption {
  /** The long flag. */
  readonly flag: `--${string}`;
  /** What its value is, as the parser checks it. */
  readonly type: OptionType;
  /** The value's placeholder in help (`SEC`, `PATH`); none for a switch. */
  readonly value?: string;
  /** Given more than once, each value counts. */
  readonly repeatable?: boolean;
  /** Its key in a file of daemons (camelCase). */
  readonly key: string;
  /** The default, as help shows it. */
  readonly default?: string;
  /** One line (or two) of help. */
  readonly help: string;
  /** Which part of the help it is listed in. */
  readonly section: "start" | "supervision" | "run";
  /** What it becomes in a systemd unit, or why it becomes nothing. */
  readonly unit: string;
}

/** Every option of `start` and `run`, in the order help lists them. */
export const START_OPTIONS: readonly StartOption[] = [
  {
    flag: "--name",
    type: "name",
    value: "NAME",
    key: "name",
    default: "PROGRAM's base name",
    help: "name of the daemon",
    section: "start",
    unit: "Description=",
  },
  {
    flag: "--pid-file",
    type: "path",
    value: "PATH",
    key: "pidFile",
    default: "STATE/NAME.pid",
    help: "pid file",
    section: "start",
    unit: "none: systemd tracks the process itself",
  },
  {
    flag: "--cwd",
    type: "path",
    value: "DIR",
    key: "cwd",
    default: "the directory start is run from; / with --chroot",
    help: "working directory",
    section: "start",
    unit: "WorkingDirectory=",
  },
  {
    flag: "--umask",
    type: "octal",
    value: "OCTAL",
    key: "umask",
    default: "022",
    help: "file-creation mask",
    section: "start",
    unit: "UMask= (four octal digits)",
  },
  {
    flag: "--user",
    type: "user",
    value: "USER",
    key: "user",
    default: "unchanged",
    help: "run as this user (name or uid)",
    section: "start",
    unit: "User=",
  },
  {
    flag: "--group",
    type: "group",
    value: "GROUP",
    key: "group",
    default: "the user's primary group",
    help: "run as this group",
    section: "start",
    unit: "Group=",
  },
  {
    flag: "--chroot",
    type: "path",
    value: "DIR",
    key: "chroot",
    default: "none",
    help: "change the root directory first",
    section: "start",
    unit: "RootDirectory=",
  },
  {
    flag: "--stdout",
    type: "path",
    value: "FILE",
    key: "stdout",
    default: "LOGS/NAME.log",
    help: "append standard output here",
    section: "start",
    unit: "StandardOutput=append:FILE",
  },
  {
    flag: "--stderr",
    type: "path",
    value: "FILE",
    key: "stderr",
    default: "LOGS/NAME.log",
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
    value: "NAME=VALUE",
    repeatable: true,
    key: "env",
    help: "set a variable (repeatable; in a file, an object)",
    section: "start",
    unit: "Environment=",
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
    default: "30",
    help: "give up (and stop it) after this long",
    section: "start",
    unit: "TimeoutStartSec=",
  },
  {
    flag: "--grace",
    type: "seconds",
    value: "SEC",
    key: "grace",
    default: "0.1",
    help: "an exit within this long after start is a failed start",
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
    default: "HUP",
    help: "the signal reload sends",
    section: "start",
    unit: "ExecReload=/bin/kill -SIG $MAINPID",
  },
  {
    flag: "--restart",
    type: "policy",
    value: "POLICY",
    key: "restart",
    default: "no",
    help: "no, on-failure or always",
    section: "supervision",
    unit: "Restart=",
  },
  {
    flag: "--restart-delay",
    type: "seconds",
    value: "SEC",
    key: "restartDelay",
    default: "0.1",
    help: "first restart's delay, doubled per failure up to 30 s",
    section: "supervision",
    unit: "RestartSec= (systemd does not double it)",
  },
  {
    flag: "--max-restarts",
    type: "count",
    value: "N",
    key: "maxRestarts",
    default: "5",
    help: "restarts allowed within --restart-window, then failed",
    section: "supervision",
    unit: "StartLimitBurst=",
  },
  {
    flag: "--restart-window",
    type: "seconds",
    value: "SEC",
    key: "restartWindow",
    default: "60",
    help: "the window of --max-restarts",
    section: "supervision",
    unit: "StartLimitIntervalSec=",
  },
  {
    flag: "--max-memory",
    type: "size",
    value: "SIZE",
    key: "maxMemory",
    help: "restart it when its processes' memory stays above SIZE",
    section: "supervision",
    unit: "MemoryMax= (the kernel's limit: the program is killed at once)",
  },
  {
    flag: "--log-max-size",
    type: "size",
    value: "SIZE",
    key: "logMaxSize",
    default: "never",
    help: "rotate its captured output at SIZE (like 10M)",
    section: "supervision",
    unit: "none: rotate the file with logrotate, or log to the journal",
  },
  {
    flag: "--log-keep",
    type: "count",
    value: "N",
    key: "logKeep",
    default: "5",
    help: "rotated logs kept",
    section: "supervision",
    unit: "none: rotate the file with logrotate, or log to the journal",
  },
  {
    flag: "--log-time",
    type: "switch",
    key: "logTime",
    help: "prefix each captured line with the time",
    section: "supervision",
    unit: "none: the journal stamps each line",
  },
  {
    flag: "--exec",
    type: "switch",
    key: "exec",
    help: "run only: the program takes run's place (no supervisor)",
    section: "run",
    unit: "none: systemd is the supervisor",
  },
];

/** The options that take a value. */
export const VALUE_FLAGS: ReadonlySet<string> = new Set(
  START_OPTIONS.filter((o) => o.value !== undefined).map((o) => o.flag),
);

/** The switches. */
export const SWITCH_FLAGS: ReadonlySet<string> = new Set(
  START_OPTIONS.filter((o) => o.value === undefined).map((o) => o.flag),
);

/** The options that take a value and need a supervisor. */
export const SUPERVISION_VALUES: readonly string[] = START_OPTIONS
  .filter((o) => o.section === "supervision" && o.value !== undefined).map((o) => o.flag);

/** The help lines of one section, aligned: `  --flag VALUE   help [default]`. */
export function optionHelp(section: StartOption["section"]): string {
  const width = 24;
  const lines: string[] = [];
  for (const o of START_OPTIONS.filter((o) => o.section === section)) {
    const head = `  ${o.flag}${o.value ? ` ${o.value}` : ""}`;
    const [first, ...more] = `${o.help}${o.default ? ` [${o.default}]` : ""}`.split("\n");
    const text = [head.length < width ? `${head.padEnd(width)}${first}` : `${head} ${first}`];
    for (const line of more) text.push(`${" ".repeat(width)}${line}`);
    for (const line of text) lines.push(...wrap(line, width));
  }
  return lines.join("\n");
}

/** `line` cut at spaces to 78 columns, the rest indented by `indent`. */
function wrap(line: string, indent: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > 78) {
    const cut = rest.lastIndexOf(" ", 78);
    if (cut <= indent) break;
    out.push(rest.slice(0, cut));
    rest = " ".repeat(indent) + rest.slice(cut + 1);
  }
  out.push(rest);
  return out;
}
