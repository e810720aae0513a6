/**
 * The help text of the command and of each of its commands: loaded only
 * when asked for.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";
import { type CommandName, COMMANDS, SCRIPT_COMMANDS } from "./command_table.ts";
import { START_OPTIONS, type StartOption } from "./start_options.ts";

/** The help of the whole command, or of one command. */
export function helpText(
  program: string,
  topic: string | undefined,
  self: boolean,
): string {
  const target = self ? "" : " NAME | --pid-file P";
  const stopSeconds = DEFAULTS.stopTimeout / 1000;
  const stopSignal = DEFAULTS.stopSignal.replace(/^SIG/, "");
  const lines: { readonly [C in Exclude<CommandName, "help" | "version">]: string } = {
    start: self
      ? `${program} start\n\nStart this program as a daemon; exit 0 once it is ready.`
      : `${program} start [options] -- PROGRAM [ARGS...]

Run PROGRAM as a daemon. Exits 0 once it runs (detached, its set-up done),
or prints why not and exits 1; nothing is left running then.

Options (defaults in brackets):
${optionHelp("start")}

Supervision (a small process of ours stays as the program's parent):
${optionHelp("supervision")}

The start is saved (command, directory, environment): 'start NAME' alone
starts a stopped daemon again as it was started.

State folders: $DAEMONIZE_HOME, else for root /run/daemonize and
/var/log/daemonize, else $XDG_RUNTIME_DIR/daemonize and ~/.local/state/daemonize.`,
    run: self
      ? `${program} run\n\nRun this program in the foreground with the daemon's set-up.`
      : `${program} run [options] -- PROGRAM [ARGS...]

The set-up of start (pid file, user, cwd, ...) without detaching; for
systemd, containers and other supervisors. Stays as the program's parent:
passes signals on, reaps orphans as a container's PID 1, removes the pid
file and exits with the program's status (128 + N for signal N). Takes the
options of start (--restart too), and:
${optionHelp("run")}`,
    stop: `${program} stop${target} [--timeout SEC] [--signal ${stopSignal}]

Send the signal to the daemon's main process, then to every process of its
session still left; wait up to --timeout seconds [${stopSeconds}] until none is, then
SIGKILL those that remain. Only processes proven to be the daemon's are
signalled. Stopping a stopped daemon is not an error.`,
    restart:
      `${program} restart${target} [--timeout SEC]\n\nStop, then start again as it was last started (same environment).`,
    reload: `${program} reload${target}

Send ${DEFAULTS.reloadSignal} (or the start's --reload-signal) to the daemon's main process.
Refused (exit 1) when the program would die of it: use restart then.`,
    logs: `${program} logs${target} [-n N] [-f]

Print the last N lines [${DEFAULTS.logLines}] of the daemon's log; with -f, go on printing
what is written, across rotations, until interrupted.`,
    unit: `${program} unit [start options] -- PROGRAM [ARGS...]
${program} unit -f FILE NAME

Print a systemd service unit that runs PROGRAM as start would: Type=exec
(Type=notify with --notify), User=, WorkingDirectory=, UMask=, Restart=,
MemoryMax=, LimitCORE=0, KillMode=mixed, ExecStart= quoted the systemd way.
No value goes into the unit: it names each --env-file (EnvironmentFile=), and
the --env values go to a file of mode 0600 it names too (STATE/NAME.env with
$DAEMONIZE_HOME, else /etc/daemonize or ~/.config/daemonize). An option
systemd has no setting for is left out, with a note.
Run as another user than root, it prints a user unit (systemctl --user).`,
    up: `${program} up [-f FILE] [NAME...]

Start the daemons of a file of daemons [./${DEFAULTS.daemonFile}] that are not
running (those running are left alone, and said so). The file:
  { "daemons": [ { "name": "web", "command": ["python3", "-m", "http.server"],
                   "cwd": "/srv", "restart": "on-failure", "env": {"A": "b"} } ] }
Keys are the long options of start in camelCase; comments are allowed.`,
    down: `${program} down [-f FILE] [NAME...]

Stop the daemons of a file of daemons [./${DEFAULTS.daemonFile}], as stop does.`,
    forget: `${program} forget${target}

Remove a stopped daemon's saved start, pid file and log.`,
    status: `${program} status [${target.trim()} | -f FILE] [--json]

Show pid, the processes it started, uptime, RSS and command${
      self ? "" : "; without NAME (or as\n'list'), a table of every known daemon"
    }. Exit status: 0 running, 1 dead but pid file left, 3 not
running or failed, 4 unknown${self ? "" : "; the table: 1 when one is dead or failed"}.`,
  };
  if (topic !== undefined && Object.hasOwn(lines, topic)) {
    return lines[topic as keyof typeof lines] + "\n";
  }
  const usage = self
    ? `Usage: ${program} ${SCRIPT_COMMANDS.join("|")} [--help]`
    : `Usage: ${program} COMMAND [options]

Commands:
${overview()}

'${program} COMMAND --help' tells more; '${program} --version' the version.`;
  return usage + "\n";
}

/** The overview's lines: each command's usage, aligned, and what it does. */
function overview(): string {
  return COMMANDS.flatMap((c) =>
    c.overview.map(([usage, summary]) =>
      `  ${`${c.words[0]!.padEnd(c.pad ?? c.words[0]!.length + 1)}${usage}`.padEnd(38)} ${summary}`
    )
  ).join("\n");
}

/** The help lines of one section, aligned: `  --flag VALUE   help [default]`. */
export function optionHelp(section: StartOption["section"]): string {
  const width = 24;
  const lines: string[] = [];
  for (const o of START_OPTIONS.filter((o) => o.section === section)) {
    const head = `  ${o.flag}${o.value ? ` ${o.value}` : ""}`;
    const shown = shownDefault(o);
    const [first, ...more] = `${o.help}${shown ? ` [${shown}]` : ""}`.split("\n");
    const text = [head.length < width ? `${head.padEnd(width)}${first}` : `${head} ${first}`];
    for (const line of more) text.push(`${" ".repeat(width)}${line}`);
    for (const line of text) lines.push(...wrap(line, width));
  }
  return lines.join("\n");
}

/** An option's default as help shows it (seconds, not milliseconds), if it has one. */
function shownDefault(o: StartOption): string | undefined {
  if (o.shown !== undefined || o.default === undefined) return o.shown;
  switch (o.type) {
    case "seconds":
      return String(o.default / 1000);
    case "octal":
      return o.default.toString(8).padStart(3, "0");
    case "signal":
      return o.default.replace(/^SIG/, "");
    default:
      return String(o.default);
  }
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
