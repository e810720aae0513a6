/**
 * The help text of the command and of each of its commands: loaded only
 * when asked for.
 *
 * @module
 */
import { optionHelp } from "./start_options.ts";

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
    unit: `${program} unit [start options] -- PROGRAM [ARGS...]
${program} unit -f FILE NAME

Print a systemd service unit that runs PROGRAM as start would: Type=exec
(Type=notify with --notify), User=, WorkingDirectory=, UMask=, Environment=,
Restart=, MemoryMax=, LimitCORE=0, KillMode=mixed, ExecStart= quoted the
systemd way. An option systemd has no setting for is left out, with a note.
Run as another user than root, it prints a user unit (systemctl --user).`,
    up: `${program} up [-f FILE] [NAME...]

Start the daemons of a file of daemons [./daemonize.json] that are not
running (those running are left alone, and said so). The file:
  { "daemons": [ { "name": "web", "command": ["python3", "-m", "http.server"],
                   "cwd": "/srv", "restart": "on-failure", "env": {"A": "b"} } ] }
Keys are the long options of start in camelCase; comments are allowed.`,
    down: `${program} down [-f FILE] [NAME...]

Stop the daemons of a file of daemons [./daemonize.json], as stop does.`,
    forget: `${program} forget${target}

Remove a stopped daemon's saved start, pid file and log.`,
    status: `${program} status [${target.trim()} | -f FILE] [--json]

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
  up   [-f FILE] [NAME...]               start the daemons of a file of daemons
  down [-f FILE] [NAME...]               stop them (status -f FILE lists them)
  unit [options] -- PROGRAM | -f F NAME  print a systemd unit for the daemon

'${program} COMMAND --help' tells more; '${program} --version' the version.`;
  return usage + "\n";
}
