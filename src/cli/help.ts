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
  const targets = self ? "" : " NAME... | -f FILE | --all | --pid-file P";
  const several = self ? "" : `

Several daemons (NAME..., the daemons of a file of daemons with -f FILE, or
every known one with --all) are each acted on in turn; the exit status is 0
when each succeeded, else that of the first that did not.`;
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

--on-failure CMD runs through /bin/sh, as the program's user, one at a time,
its output in the daemon's log; it is told $DAEMONIZE_EVENT (restarting,
failed, gave-up), $DAEMONIZE_NAME, $DAEMONIZE_EXIT_CODE or _SIGNAL,
$DAEMONIZE_RESTARTS, $DAEMONIZE_LOG and $DAEMONIZE_LOG_TAIL (see the README).

With --cron, the supervisor runs PROGRAM at each time (one run at a time: a
time that comes during a run is skipped, and logged); status says scheduled
between runs (exit 0), with the next time and the last run.

The start is saved (command, directory, environment): 'start NAME' alone
starts a stopped daemon again as it was started.

State folders: $DAEMONIZE_HOME, else for root /run/daemonize (pid files),
/var/lib/daemonize (saved starts) and /var/log/daemonize, else
$XDG_RUNTIME_DIR/daemonize (pid files) and $XDG_STATE_HOME/daemonize
[~/.local/state/daemonize] (saved starts and logs).`,
    run: self
      ? `${program} run\n\nRun this program in the foreground with the daemon's set-up.`
      : `${program} run [options] -- PROGRAM [ARGS...]

The set-up of start (pid file, user, cwd, ...) without detaching; for
systemd, containers and other supervisors. Stays as the program's parent:
passes signals on, reaps orphans as a container's PID 1, removes the pid
file and exits with the program's status (128 + N for signal N). Takes the
options of start (--restart too), and:
${optionHelp("run")}`,
    stop: `${program} stop${targets} [--timeout SEC] [--signal ${stopSignal}]

Send the signal to the daemon's main process, then to every process of its
session still left; wait up to --timeout seconds [${stopSeconds}] until none is, then
SIGKILL those that remain. Only processes proven to be the daemon's are
signalled. Stopping a stopped daemon is not an error.${several}`,
    restart: `${program} restart${targets} [--timeout SEC]

Stop, then start again as it was last started (same environment). With
-f FILE, each daemon of the file starts as its entry now says.${several}`,
    reload: `${program} reload${targets}

Send ${DEFAULTS.reloadSignal} (or the start's --reload-signal) to the daemon's main process.
Refused (exit 1) when the program would die of it: use restart then.${several}`,
    logs: `${program} logs${
      self ? "" : " [NAME... | --file FILE | --all | --pid-file P]"
    } [-n N] [-f]

Print the last N lines [${DEFAULTS.logLines}] of the daemon's log; with -f, go on printing
what is written, across rotations, until interrupted (or until its reader,
such as head, is gone). No NAME: every known daemon.
Of several daemons: the last N lines of each, interleaved in time order, each
after its daemon's name ("api    | ..."; coloured on a terminal); -f follows
them all. A line's time is the one it begins with (--log-time writes it); a
line without one takes the time of the line before it, and a log without any
the time it was last written. One daemon's lines keep their order.`,
    unit: `${program} unit [start options] -- PROGRAM [ARGS...]
${program} unit -f FILE [NAME]

Print a systemd service unit that runs PROGRAM as start would: Type=exec
(Type=notify with --notify), User=, WorkingDirectory=, UMask=, Restart=,
MemoryMax=, LimitCORE=0, KillMode=mixed, ExecStart= quoted the systemd way.
No value goes into the unit: it names each --env-file (EnvironmentFile=), and
the --env values go to a file of mode 0600 it names too (STATE/NAME.env with
$DAEMONIZE_HOME, else /etc/daemonize or ~/.config/daemonize). An option
systemd has no setting for is left out, with a note.
Run as another user than root, it prints a user unit (systemctl --user).
With -f FILE and no NAME: a .target for the file's set and a service per
daemon, its "after" as After= and Requires=, each headed by "# NAME".
With --cron: NAME.timer beside a Type=oneshot service; with --restart-at:
NAME-restart.timer and NAME-restart.service; each headed by "# NAME".`,
    up: `${program} up [-f FILE] [--no-restart] [NAME...]

Start the daemons of a file of daemons [./${DEFAULTS.daemonFile}] that are not
running. One running whose entry changed since its start is restarted with
the new settings, naming what changed (an env variable by name only); with
--no-restart it is only said to differ. The others are left alone, and said
so. A daemon started from the file and no longer in it is named, never
stopped: 'down NAME' stops it. The file:
  { "daemons": [ { "name": "web", "command": ["python3", "-m", "http.server"],
                   "cwd": "/srv", "restart": "on-failure", "env": {"A": "b"} } ] }
Keys are the long options of start in camelCase; comments are allowed.
"after": ["db"] starts a daemon once db is ready (independent ones start at
once); named daemons bring what they come after along. Relative paths (cwd,
log, pidFile...) are relative to the file; a daemon without cwd runs in the
file's folder, and a program like ./run.sh is found in its cwd.`,
    down: `${program} down [-f FILE] [NAME...]

Stop the daemons of a file of daemons [./${DEFAULTS.daemonFile}], as stop does:
each before those it comes after, independent ones at once; a NAME may be one
started from the file and no longer in it.`,
    enable: `${program} enable [-f FILE] [--user] [--after-network] [--print]

Bring the daemons of a file of daemons [./${DEFAULTS.daemonFile}] up at every boot: a
systemd service (Type=oneshot, RemainAfterExit=yes) that runs 'up -f FILE' at
start and 'down -f FILE' at stop, installed and enabled (systemctl enable).
  --user           a unit of your own manager (systemctl --user); says how to
                   turn on lingering when it is off (without it, at login only)
  --after-network  start once the network is up (network-online.target)
  --print          print the unit instead of installing it
A unit file it did not write is never replaced. Without systemd, it prints
the line to add to your crontab instead.
'stop NAME' keeps a daemon stopped at boot, until 'start NAME' or 'up NAME'.`,
    disable: `${program} disable [-f FILE] [--user]

Disable and remove the unit enable installed for the file (its daemons keep
running: 'down -f FILE' stops them).`,
    serve: `${program} serve [--listen ADDR:PORT | --socket PATH] [--control --token-file F]

Answer HTTP in the foreground [listen 127.0.0.1:9321]: GET /metrics (Prometheus),
/api/daemons and /api/daemons/NAME (as status --json), /api/daemons/NAME/logs
?lines=N (&follow=1: Server-Sent Events), /api/events, and / (a live status
page with each daemon's CPU and memory over the last hour).
  --listen ADDR:PORT  where to listen (also [::1]:PORT)
  --socket PATH       listen on a unix socket instead
  --token-file PATH   a file (mode 0600) holding a bearer token; every request
                      then needs 'Authorization: Bearer TOKEN' on an address
                      that is not loopback, control requests always
  --control           take POST /api/daemons/NAME/restart|stop|start
Read-only unless --control. A non-loopback address needs --token-file.
As a daemon: ${program} start --name serve-web -- ${program} serve`,
    forget: `${program} forget${target}

Remove a stopped daemon's saved start, pid file and log.`,
    status: self
      ? `${program} status

Show pid, the processes it started, uptime, RSS and command. Exit status:
0 running, 1 dead but pid file left, 3 not running or failed, 4 unknown.`
      : `${program} status [${targets.trim()}] [--json | --prometheus]

Show pid, the processes it started, uptime, RSS and command. Without NAME
(or as 'list'), with --all or -f FILE: a table of every known daemon, or of
the file's: CPU use over the last half second, the memory of the program's
processes and, apart, of its supervisor. Exit status: 0 running (or
scheduled: between two runs of --cron), 1 dead but pid file left, 3 not
running or failed, 4 unknown; the table: 1 when one is dead or failed;
several names: that of the first not running.

--json         the same facts as JSON objects (a list for the table)
--prometheus   the Prometheus text format (for node_exporter's textfile
               collector): up, state, restarts, CPU seconds, memory, log
               size... of each, labelled name="NAME"; exit status 0`,
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
