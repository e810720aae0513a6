/**
 * The commands that act on a daemon by its pid file (stop, reload, status),
 * shared by the `daemonize` command and self-controlling scripts. Each
 * returns the exit status and writes its one line of output.
 *
 * @module
 */
import { findOrphan } from "../supervisor/orphan.ts";
import { DaemonError } from "../errors.ts";
import { getenv, readDirectory, stdoutIsTerminal, writeErr, writeOut } from "../host.ts";
import { baseName as basename, joinPath as join } from "../paths.ts";
import { inRecordedSession } from "../process/identity.ts";
import { PidFile } from "../process/pid_file.ts";
import { isRelaunched } from "../start/relaunch.ts";
import { processFacts, treeUsage } from "../process/proc.ts";
import { status } from "../control/status.ts";
import { reload, type SignalResult } from "../control/signal.ts";
import { stop } from "../control/stop.ts";
import { EXIT } from "./exit_codes.ts";
import { signalFullName } from "../signal_names.ts";
import { lsbStatus, statusLine, type StatusReport, statusTable, useColour } from "./format.ts";

/** Where commands write. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout takes colour. */
  readonly colour: boolean;
}

/** Output to the process's stdout and stderr. */
export function processOutput(): Output {
  return {
    out: writeOut,
    err: writeErr,
    colour: useColour(stdoutIsTerminal(), getenv("NO_COLOR"), getenv("TERM")),
  };
}

/**
 * A `stop` or `restart` run from inside the daemon's own session (a hook of
 * the daemon restarting it) would end itself halfway: it goes on in a
 * session of its own instead, and this process is done. True when it did.
 */
export async function goOnOutside(
  name: string,
  pidFile: string,
  command: string,
  io: Output,
): Promise<boolean> {
  if (isRelaunched()) return false;
  const identity = new PidFile(pidFile).identity();
  if (!identity || !inRecordedSession(identity)) return false;
  const { continueOutside } = await import("../start/launch.ts");
  const pid = continueOutside();
  io.err(
    `daemonize: this ${command} runs in ${name}'s own session, which it ends: it goes on as pid ${pid}, outside it\n`,
  );
  return true;
}

/** `stop`: signal, wait, SIGKILL; a stopped daemon is not an error. */
export async function stopCommand(
  name: string,
  pidFile: string,
  timeout: number,
  signal: string,
  io: Output,
): Promise<number> {
  const result = await stop(new PidFile(pidFile), { timeout, signal });
  if (result.state === "not-running") {
    io.out(`${name} is not running\n`);
    return 0;
  }
  const n = result.others;
  const processes = `${n} process${n === 1 ? "" : "es"}`;
  const what = !result.mainRan
    ? `${processes} left by pid ${result.pid}`
    : n
    ? `pid ${result.pid}, and ${processes} it started`
    : `pid ${result.pid}`;
  if (result.forced) {
    const sig = signalFullName(signal) ?? signal;
    io.out(`${name} killed (${what}): still running ${timeout / 1000} s after ${sig}\n`);
  } else {
    io.out(`${name} stopped (${what})\n`);
  }
  return 0;
}

/**
 * `reload`: the reload signal to the daemon's main process, through the
 * same proof as every other signal. Refused (exit 1) when the process would
 * die of it (it neither catches nor ignores it); exit 7 (LSB) when not running.
 */
export function reloadCommand(
  name: string,
  pidFile: string,
  signal: string,
  io: Output,
): number {
  let result: SignalResult;
  try {
    result = reload(pidFile, { signal });
  } catch (error) {
    if (!(error instanceof DaemonError) || error.step !== "status") throw error;
    io.err(`${name}: ${error.message}\n`);
    return EXIT.failed;
  }
  if (result.sent) {
    io.out(`${name} reloaded (${result.signal} to pid ${result.pid})\n`);
    return 0;
  }
  if (result.reason === "not-running") {
    io.err(`${name} is not running\n`);
    return EXIT.notRunningAction;
  }
  const who = result.program ? `its program (pid ${result.pid})` : `pid ${result.pid}`;
  io.err(
    `${name}: ${who} ${result.why}, so it would end; not sent. ` +
      `Use restart, or start it with --reload-signal naming a signal it handles\n`,
  );
  return 1;
}

/** The status report of one daemon: the library's status, with its processes' facts. */
export function reportOf(name: string, pidFile: string): StatusReport {
  const s = status(pidFile);
  const base = {
    name,
    pidFile,
    supervisorPid: null,
    uptimeSeconds: null,
    rssBytes: null,
    supervisorRssBytes: null,
    cpuPercent: null,
    cpuWindowSeconds: null,
    cpuSeconds: null,
    processes: null,
    startTime: null,
    command: null,
    otherProcesses: s.state === "running" || s.state === "dead" ? s.others : 0,
    unverifiedProcesses: s.state === "dead" ? s.unverified : 0,
    restarts: null,
    lastExit: null,
    lastExitCode: null,
    restartAt: null,
    logBytes: null,
    droppedLines: null,
    found: null,
    unsupervised: null,
  };
  switch (s.state) {
    case "running": {
      const usage = treeUsage([s.pid, ...s.otherPids]);
      const supervised = s.supervised;
      if (!supervised) {
        return { ...base, state: "running", pid: s.pid, ...processFacts(s.pid), ...usage };
      }
      // The program is the daemon's face; its supervisor is named beside it.
      const program = supervised.program;
      if (program === null) {
        // Between two runs: not up, whatever its supervisor does.
        const next = supervised.nextStart;
        return {
          ...base,
          state: "restarting",
          ...usage,
          pid: null,
          supervisorPid: s.pid,
          restarts: supervised.restarts,
          lastExit: supervised.lastExit,
          restartAt: next === null ? null : new Date(next).toISOString(),
        };
      }
      return {
        ...base,
        state: "running",
        ...processFacts(program),
        ...usage,
        pid: program,
        supervisorPid: s.pid,
        otherProcesses: Math.max(0, s.others - 1),
        restarts: supervised.restarts,
        lastExit: supervised.lastExit,
        ...(supervised.health ? { health: supervised.health } : {}),
      };
    }
    case "dead": {
      // What the file is, when nothing of a daemon of ours runs.
      const file = new PidFile(pidFile);
      const found = s.others || s.unverified ? undefined : file.unsafe() ?? file.inspect();
      const orphan = s.others ? findOrphan(pidFile, file.identity()?.token) : undefined;
      return {
        ...base,
        state: "dead",
        pid: s.pid ?? null,
        found: found ?? null,
        unsupervised: orphan?.pid ?? null,
      };
    }
    case "failed":
      return { ...base, state: "failed", pid: null, restarts: s.restarts, lastExit: s.lastExit };
    case "stopped":
      return { ...base, state: "stopped", pid: null };
  }
}

/** `status` of one daemon: LSB exit status 0, 1, 3 (also while restarting), or 4 if unknown. */
export function statusCommand(
  name: string,
  pidFile: string,
  json: boolean,
  io: Output,
): number {
  let report: StatusReport;
  try {
    report = reportOf(name, pidFile);
  } catch (error) {
    const message = error instanceof DaemonError ? error.message : String(error);
    if (json) {
      io.out(
        JSON.stringify({ name, state: "unknown", pidFile, error: message }) +
          "\n",
      );
    } else io.err(`${name}: unknown (${message})\n`);
    return EXIT.unknown;
  }
  io.out(
    json ? JSON.stringify(report) + "\n" : statusLine(report, io.colour) + "\n",
  );
  return lsbStatus(report);
}

/**
 * The status reports of every known daemon: those with a saved start
 * (`daemons`, wherever their pid file is) and any other pid file in
 * `runDir` (unless `onlyListed`), sorted by name. A daemon seen under two
 * names (a self-controlled script started by the command) is listed once.
 */
export function knownReports(
  runDir: string,
  daemons: readonly { name: string; pidFile: string }[],
  onlyListed = false,
): StatusReport[] {
  const all = new Map(daemons.map((d) => [d.pidFile, d.name]));
  try {
    // Every pid file of the state folder too, unless only the listed ones are asked for.
    const files = onlyListed ? [] : readDirectory(runDir);
    for (const file of files.filter((f) => f.endsWith(".pid")).sort()) {
      const pidFile = join(runDir, file);
      if (!all.has(pidFile)) all.set(pidFile, basename(file, ".pid"));
    }
  } catch {
    // No state folder yet: no daemons.
  }
  const reports: StatusReport[] = [];
  const pids = new Set<number>();
  for (const [pidFile, name] of [...all].sort((a, b) => a[1].localeCompare(b[1]))) {
    let report: StatusReport;
    try {
      report = reportOf(name, pidFile);
    } catch {
      continue;
    }
    const main = report.supervisorPid ?? report.pid;
    const live = report.state === "running" || report.state === "restarting";
    if (live && pids.has(main!)) continue;
    if (live) pids.add(main!);
    reports.push(report);
  }
  return reports;
}

/**
 * `status` of every known daemon: those with a saved start (`daemons`,
 * wherever their pid file is) and any other pid file in `runDir`. A daemon
 * seen under two names (a self-controlled script started by the command)
 * is listed once.
 */
export function statusAllCommand(
  runDir: string,
  daemons: readonly { name: string; pidFile: string }[],
  json: boolean,
  io: Output,
  onlyListed = false,
): number {
  const reports = knownReports(runDir, daemons, onlyListed);
  if (json) io.out(JSON.stringify(reports) + "\n");
  else if (reports.length === 0) io.out(`no daemons known in ${runDir}\n`);
  else io.out(statusTable(reports, io.colour));
  // Non-zero when one is not as it should be: dead, failed, or its program not up.
  return reports.some((r) => ["dead", "failed", "restarting"].includes(r.state)) ? 1 : 0;
}
