/**
 * Text the command prints: status lines and objects, help, colour. Pure
 * functions building strings; printing is left to `main`.
 *
 * @module
 */
/** What `status` reports about one daemon. */
export interface StatusReport {
  readonly name: string;
  readonly state: "running" | "dead" | "stopped" | "failed";
  /** The main process; under a supervisor, the program (null between its runs). */
  readonly pid: number | null;
  /** The supervisor's pid, when one runs the program. */
  readonly supervisorPid: number | null;
  readonly uptimeSeconds: number | null;
  /** Resident memory of the whole process tree. */
  readonly rssBytes: number | null;
  /** CPU use of the whole process tree over its lifetime (100 = one CPU). */
  readonly cpuPercent: number | null;
  readonly command: string | null;
  readonly pidFile: string;
  /** Other live processes of the daemon's session (those it started). */
  readonly otherProcesses: number;
  /** Processes of its session this user could not check. */
  readonly unverifiedProcesses: number;
  /** Under a supervisor: how often it restarted the program. */
  readonly restarts: number | null;
  /** Under a supervisor: how the program's last run ended, if one did. */
  readonly lastExit: string | null;
}

/**
 * The LSB exit status of `status` for one daemon: 0 running, 1 dead with
 * its pid file left, 3 not running; 4 (unknown) when processes of its
 * session could not be checked.
 */
export function lsbStatus(report: Pick<StatusReport, "state" | "unverifiedProcesses">): number {
  if (report.state === "running") return 0;
  if (report.state === "dead") return report.unverifiedProcesses ? 4 : 1;
  // Failed (gave up restarting): not running, as systemd says of a failed unit.
  return 3;
}

/** "3d 4h", "5m 3s", "42s". */
export function formatDuration(total: number): string {
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

/** "12.3 MB". */
export function formatBytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Wraps `text` in an ANSI colour when `colour` is on. */
export function paint(
  text: string,
  colour: "green" | "red" | "yellow",
  on: boolean,
): string {
  if (!on) return text;
  const code = { green: 32, red: 31, yellow: 33 }[colour];
  return `\x1b[${code}m${text}\x1b[0m`;
}

/** Whether to colour output: on a terminal, without NO_COLOR, not for TERM=dumb. */
export function useColour(
  terminal: boolean,
  noColor: string | undefined,
  term: string | undefined,
): boolean {
  return terminal && noColor === undefined && term !== "dumb";
}

/** One human line about a daemon. */
export function statusLine(report: StatusReport, colour: boolean): string {
  const state = paint(
    report.state,
    report.state === "running" ? "green" : report.state === "dead" ? "red" : "yellow",
    colour,
  );
  const restarts = report.restarts
    ? `${report.restarts} restart${report.restarts === 1 ? "" : "s"}`
    : undefined;
  if (report.state === "failed") {
    return `${report.name}: ${paint("failed", "red", colour)} (${
      [report.lastExit ? `last run ${report.lastExit}` : undefined, restarts].filter(Boolean)
        .join(", ")
    })`;
  }
  if (report.state === "running") {
    const n = report.otherProcesses;
    const supervised = report.supervisorPid !== null;
    const facts = [
      report.pid === null ? "program waiting to restart" : `pid ${report.pid}`,
      supervised ? `supervisor pid ${report.supervisorPid}` : undefined,
      !supervised && n ? `and ${n} process${n === 1 ? "" : "es"} it started` : undefined,
      restarts,
      supervised && report.lastExit && report.restarts ? `last run ${report.lastExit}` : undefined,
      report.uptimeSeconds !== null ? `up ${formatDuration(report.uptimeSeconds)}` : undefined,
      report.rssBytes !== null ? `RSS ${formatBytes(report.rssBytes)}` : undefined,
    ].filter(Boolean).join(", ");
    return `${report.name}: ${state} (${facts})${report.command ? `: ${report.command}` : ""}`;
  }
  if (report.state === "dead") {
    const n = report.otherProcesses;
    const u = report.unverifiedProcesses;
    const processes = (k: number) => `${k} process${k === 1 ? "" : "es"}`;
    const facts = n
      ? [`pid ${report.pid} has ended`, `${processes(n)} of its session still running`]
      : u
      ? [
        `pid ${report.pid} has ended`,
        `${processes(u)} of its session can't be checked by this user`,
      ]
      : ["no process of it running"];
    const named = !n && !u && report.pid ? `, naming pid ${report.pid}` : "";
    return `${report.name}: ${state} (${
      facts.join("; ")
    }; pid file ${report.pidFile} left${named})`;
  }
  return `${report.name}: ${state}`;
}

/** The colour of a state word. */
function stateColour(state: StatusReport["state"]): "green" | "red" | "yellow" {
  return state === "running" ? "green" : state === "stopped" ? "yellow" : "red";
}

/** The list of daemons as a table: name, pid, state, uptime, restarts, CPU, memory. */
export function statusTable(reports: readonly StatusReport[], colour: boolean): string {
  const rows = reports.map((r) => [
    r.name,
    r.pid === null ? (r.supervisorPid === null ? "-" : "waiting") : String(r.pid),
    r.state,
    r.uptimeSeconds === null ? "-" : formatDuration(r.uptimeSeconds),
    r.restarts === null ? "-" : String(r.restarts),
    r.cpuPercent === null ? "-" : `${r.cpuPercent.toFixed(1)}%`,
    r.rssBytes === null ? "-" : formatBytes(r.rssBytes),
  ]);
  const header = ["NAME", "PID", "STATE", "UPTIME", "RESTARTS", "CPU", "MEMORY"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[], state?: StatusReport["state"]) =>
    cells.map((cell, i) => {
      const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i]!);
      return i === 2 && state ? paint(padded, stateColour(state), colour) : padded;
    }).join("  ").trimEnd();
  return [line(header), ...rows.map((row, i) => line(row, reports[i]!.state))].join("\n") + "\n";
}

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
