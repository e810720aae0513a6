/**
 * The commands that act on a daemon by its pid file (stop, reload, status),
 * shared by the `daemonize` command and self-controlling scripts. Each
 * returns the exit status and writes its one line of output.
 *
 * @module
 */
import { DaemonError } from "../errors.ts";
import { getenv, readDirectory, stdoutIsTerminal, writeErr, writeOut } from "../host.ts";
import { baseName as basename, joinPath as join } from "../paths.ts";
import { inRecordedSession } from "../process/identity.ts";
import { PidFile } from "../process/pid_file.ts";
import { isRelaunched } from "../start/relaunch.ts";
import { reload, type SignalResult } from "../control/signal.ts";
import { stop } from "../control/stop.ts";
import { EXIT } from "./exit_codes.ts";
import { signalFullName } from "../signal_names.ts";
import { lsbStatus, statusLine, type StatusReport, statusTable, useColour } from "./format.ts";
import { measure, type Measured, withRecentCpu } from "./report.ts";

export { reportOf } from "./report.ts";
import type { StatusForm } from "./parsed.ts";

export type { StatusForm };

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

/**
 * `status` of one daemon: LSB exit status 0, 1, 3 (also while restarting),
 * or 4 if unknown. In the Prometheus form, 0 whenever it printed (its state
 * is in the metrics), so that a collector's file is written whatever the
 * daemon's state. Its log (`log`), when known, gives the log's size.
 */
export async function statusCommand(
  name: string,
  pidFile: string,
  form: StatusForm,
  io: Output,
  log?: string,
): Promise<number> {
  let measured: Measured;
  try {
    measured = measure(name, pidFile, log);
  } catch (error) {
    const message = error instanceof DaemonError ? error.message : String(error);
    if (form === "json") {
      io.out(
        JSON.stringify({ name, state: "unknown", pidFile, error: message }) +
          "\n",
      );
    } else io.err(`${name}: unknown (${message})\n`);
    return EXIT.unknown;
  }
  if (form === "text") {
    io.out(statusLine(measured.report, io.colour) + "\n");
    return lsbStatus(measured.report);
  }
  if (form === "prometheus") {
    const { exposition } = await import("../observe/prometheus.ts");
    io.out(exposition([measured.report]));
    return 0;
  }
  const [report] = await withRecentCpu([measured]);
  io.out(JSON.stringify(report) + "\n");
  return lsbStatus(report!);
}

/**
 * `status --json` of several daemons by name: one object a line, their CPU
 * use measured together; the first non-zero exit status of theirs, else 0.
 */
export async function statusEachCommand(daemons: readonly Listed[], io: Output): Promise<number> {
  const measured: (Measured | { name: string; pidFile: string; error: string })[] = daemons.map(
    ({ name, pidFile, log }) => {
      try {
        return measure(name, pidFile, log);
      } catch (error) {
        return {
          name,
          pidFile,
          error: error instanceof DaemonError ? error.message : String(error),
        };
      }
    },
  );
  const ok = measured.filter((m): m is Measured => "report" in m);
  const reports = await withRecentCpu(ok);
  let code = 0;
  for (const m of measured) {
    if (!("report" in m)) {
      io.out(
        JSON.stringify({ name: m.name, state: "unknown", pidFile: m.pidFile, error: m.error }) +
          "\n",
      );
      code ||= EXIT.unknown;
      continue;
    }
    const report = reports[ok.indexOf(m)]!;
    io.out(JSON.stringify(report) + "\n");
    code ||= lsbStatus(report);
  }
  return code;
}

/** A daemon `status` may list: its name, pid file and, when known, its log. */
export interface Listed {
  readonly name: string;
  readonly pidFile: string;
  readonly log?: string | undefined;
}

/**
 * The reports of `daemons` (those that can't be looked at left out), in
 * their order. A daemon seen under two names (a self-controlled script
 * started by the command) is reported once. Each program tree's CPU use is
 * measured over a moment, all together, unless `recentCpu` is off.
 */
export async function reportsOf(
  daemons: readonly Listed[],
  recentCpu: boolean,
): Promise<StatusReport[]> {
  const measured: Measured[] = [];
  const pids = new Set<number>();
  for (const { name, pidFile, log } of daemons) {
    let m: Measured;
    try {
      m = measure(name, pidFile, log);
    } catch {
      continue;
    }
    const report = m.report;
    const main = report.supervisorPid ?? report.pid;
    const live = report.state === "running" || report.state === "restarting";
    if (live && pids.has(main!)) continue;
    if (live) pids.add(main!);
    measured.push(m);
  }
  return recentCpu ? await withRecentCpu(measured) : measured.map((m) => m.report);
}

/**
 * The daemons `status` lists: `daemons` (those with a saved start, wherever
 * their pid file is) and, unless `onlyListed`, any other pid file in
 * `runDir`, by name; sorted by name.
 */
export function listedDaemons(
  runDir: string,
  daemons: readonly Listed[],
  onlyListed = false,
): Listed[] {
  const all = new Map(daemons.map((d) => [d.pidFile, d]));
  try {
    // Every pid file of the state folder too, unless only the listed ones are asked for.
    const files = onlyListed ? [] : readDirectory(runDir);
    for (const file of files.filter((f) => f.endsWith(".pid")).sort()) {
      const pidFile = join(runDir, file);
      if (!all.has(pidFile)) all.set(pidFile, { name: basename(file, ".pid"), pidFile });
    }
  } catch {
    // No state folder yet: no daemons.
  }
  return [...all.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * `status` of every known daemon (see {@link listedDaemons}). Exit status 1
 * when one is dead, failed or restarting, else 0 (always 0 in the
 * Prometheus form, as for one daemon).
 */
export async function statusAllCommand(
  runDir: string,
  daemons: readonly Listed[],
  form: StatusForm,
  io: Output,
  onlyListed = false,
): Promise<number> {
  const listed = listedDaemons(runDir, daemons, onlyListed);
  const reports = await reportsOf(listed, form !== "prometheus");
  if (form === "prometheus") {
    const { exposition } = await import("../observe/prometheus.ts");
    io.out(exposition(reports));
    return 0;
  }
  if (form === "json") io.out(JSON.stringify(reports) + "\n");
  else if (reports.length === 0) io.out(`no daemons known in ${runDir}\n`);
  else io.out(statusTable(reports, io.colour));
  // Non-zero when one is not as it should be: dead, failed, or its program not up.
  return reports.some((r) => ["dead", "failed", "restarting"].includes(r.state)) ? 1 : 0;
}
