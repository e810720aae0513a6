/**
 * The help text of the command and of each of its commands: loaded only
 * when asked for.
 *
 * @module
 */

/** The help of the whole command, or of one command. */
export function helpText(
  program: string,
  topic: string | undefined,
  self: boolean,
): string {
  const target = self ? "" : " NAME | --pid-file P";
  const lines: Record<string, string> = {
    start: self
      ? `${program} start\n\nStart this program as a daemon; exit 0 once it is ready.`
      : `${program} start [options] -- PROGRAM [ARGS...]

Run PROGRAM as a daemon. Exits 0 once it runs (detached, its set-up done),
or prints why not and exits 1; nothing is left running then.

Options (defaults in brackets):
  --name NAME          name of the daemon [PROGRAM's base name]
  --pid-file PATH      pid file [STATE/NAME.pid]
  --cwd DIR            working directory [the directory start is run from;
                       / with --chroot]
  --umask OCTAL        file-creation mask [022]
  --user USER          run as this user (name or uid) [unchanged]
  --group GROUP        run as this group [the user's primary group]
  --chroot DIR         change the root directory first [none]
  --stdout FILE        append standard output here [LOGS/NAME.log]
  --stderr FILE        append standard error here [LOGS/NAME.log]
  --log FILE           both of the above
  --env NAME=VALUE     set a variable (repeatable)
  --clear-env          start from an empty environment (PATH kept default)
  --ready-timeout SEC  give up (and stop it) after this long [30]
  --grace SEC          an exit within this long after start is a failed start [0.1]
  --notify             wait for READY=1 on $NOTIFY_SOCKET (systemd's protocol)
                       instead, up to --ready-timeout
  --ready-port PORT    ready once a process of it listens on this TCP port
  --ready-log REGEX    ready once a line of its output matches REGEX
  --ready-cmd CMD      ready once the shell command CMD exits 0
  --single-detach      detach once: faster, the daemon leads its session
  --reload-signal SIG  the signal reload sends [HUP]

Supervision (a small process of ours stays as the program's parent):
  --restart POLICY     no, on-failure or always [no]
  --restart-delay SEC  first restart's delay, doubled per failure up to 30 s [0.1]
  --max-restarts N     restarts allowed within --restart-window, then failed [5]
  --restart-window SEC [60]
  --max-memory SIZE    restart it when its processes' memory stays above SIZE
  --log-max-size SIZE  rotate its captured output at SIZE (like 10M) [never]
  --log-keep N         rotated logs kept [5]
  --log-time           prefix each captured line with the time

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
options of start (--restart too); --exec puts the program in its place.`,
    stop: `${program} stop${target} [--timeout SEC] [--signal TERM]

Send the signal to the daemon's main process, then to every process of its
session still left; wait up to --timeout seconds [10] until none is, then
SIGKILL those that remain. Only processes proven to be the daemon's are
signalled. Stopping a stopped daemon is not an error.`,
    restart:
      `${program} restart${target} [--timeout SEC]\n\nStop, then start again as it was last started (same environment).`,
    reload: `${program} reload${target}

Send SIGHUP (or the start's --reload-signal) to the daemon's main process.
Refused (exit 1) when the program would die of it: use restart then.`,
    logs: `${program} logs${target} [-n N] [-f]

Print the last N lines [10] of the daemon's log; with -f, go on printing
what is written, across rotations, until interrupted.`,
    forget: `${program} forget${target}

Remove a stopped daemon's saved start, pid file and log.`,
    status: `${program} status [${target.trim()}] [--json]

Show pid, the processes it started, uptime, RSS and command${
      self ? "" : "; without NAME (or as\n'list'), a table of every known daemon"
    }. Exit status: 0 running, 1 dead but pid file left, 3 not
running or failed, 4 unknown${self ? "" : "; the table: 1 when one is dead or failed"}.`,
  };
  if (topic && lines[topic]) return lines[topic] + "\n";
  const usage = self
    ? `Usage: ${program} start|stop|restart|reload|status|run [--help]`
    : `Usage: ${program} COMMAND [options]

Commands:
  start [options] -- PROGRAM [ARGS...]   run any program as a daemon
  start NAME                             start a stopped daemon as last started
  stop    NAME | --pid-file P            stop it (SIGTERM, then SIGKILL)
  restart NAME | --pid-file P            stop, then start as before
  reload  NAME | --pid-file P            send SIGHUP (or its --reload-signal)
  status  [NAME | --pid-file P] [--json] show one daemon, or all (also: list)
  logs    NAME [-n N] [-f]               show (and follow) its log
  forget  NAME | --pid-file P            remove a stopped daemon's saved start
  run [options] -- PROGRAM [ARGS...]     the same set-up, in the foreground

'${program} COMMAND --help' tells more; '${program} --version' the version.`;
  return usage + "\n";
}
