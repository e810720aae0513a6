/**
 * The commands that act on a daemon by its pid file (stop, reload, status),
 * shared by the `daemonize` command and self-controlling scripts. Each
 * returns the exit status and writes its one line of output.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { DaemonError } from "../errors.ts";
import { readDirectory, stdoutIsTerminal, writeErr, writeOut } from "../host.ts";
import { baseName as basename, joinPath as join } from "../paths.ts";
import { signalNumber } from "../options.ts";
import { PidFile } from "../pid_file.ts";
import { status } from "../status.ts";
import { stop } from "../stop.ts";
import { lsbStatus, processFacts, statusLine, type StatusReport, useColour } from "./format.ts";

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
    colour: useColour(stdoutIsTerminal(), getLibc().getenv("NO_COLOR"), getLibc().getenv("TERM")),
  };
}

/** `stop`: signal, wait, SIGKILL; a stopped daemon is not an error. */
export async function stopCommand(
  name: string,
  pidFile: string,
  timeout: number,
  signal: string,
  io: Output,
): Promise<number> {
  const file = new PidFile(pidFile);
  const result = await stop(file, { timeout, signal, killGroup: true });
  file.removeIfStale();
  if (result.state === "not-running") {
    io.out(`${name} is not running\n`);
  } else if (result.forced) {
    io.out(
      `${name} killed (pid ${result.pid}): still running ${timeout / 1000} s after SIG${
        signal.replace(/^SIG/i, "").toUpperCase()
      }\n`,
    );
  } else {
    io.out(`${name} stopped (pid ${result.pid})\n`);
  }
  return 0;
}

/** `reload`: SIGHUP to the lock's holder; exit 7 (LSB) when not running. */
export function reloadCommand(
  name: string,
  pidFile: string,
  io: Output,
): number {
  const pid = new PidFile(pidFile).holder();
  if (pid === undefined) {
    io.err(`${name} is not running\n`);
    return 7;
  }
  getLibc().kill(pid, signalNumber("SIGHUP")!);
  io.out(`${name} reloaded (SIGHUP to pid ${pid})\n`);
  return 0;
}

/** The status report of one daemon. */
export function reportOf(name: string, pidFile: string): StatusReport {
  const s = status(pidFile);
  const base = {
    name,
    pidFile,
    uptimeSeconds: null,
    rssBytes: null,
    command: null,
  };
  if (s.state === "running") {
    return { ...base, state: "running", pid: s.pid, ...processFacts(s.pid) };
  }
  if (s.state === "dead") return { ...base, state: "dead", pid: s.pid ?? null };
  return { ...base, state: "stopped", pid: null };
}

/** `status` of one daemon: LSB exit status 0, 1, 3 (or 4 if unknown). */
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
    return 4;
  }
  io.out(
    json ? JSON.stringify(report) + "\n" : statusLine(report, io.colour) + "\n",
  );
  return lsbStatus(report.state);
}

/** `status` of every daemon with a pid file in `runDir`. */
export function statusAllCommand(
  runDir: string,
  json: boolean,
  io: Output,
): number {
  let names: string[] = [];
  try {
    names = readDirectory(runDir).filter((f) => f.endsWith(".pid")).map((f) => basename(f, ".pid"))
      .sort();
  } catch {
    // No state folder yet: no daemons.
  }
  const reports = names.map((name) => reportOf(name, join(runDir, `${name}.pid`)));
  if (json) io.out(JSON.stringify({ daemons: reports }) + "\n");
  else if (reports.length === 0) io.out(`no daemons known in ${runDir}\n`);
  else {for (const report of reports) {
      io.out(statusLine(report, io.colour) + "\n");
    }}
  return 0;
}
