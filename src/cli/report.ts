/**
 * What `status` reports about a daemon: the library's status with its
 * processes' facts now. The program's tree is measured apart from its
 * supervisor; the CPU use over a recent moment comes from two looks at
 * every tree, taken together ({@link withRecentCpu}).
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { readTextFileIfAny } from "../host.ts";
import { findOrphan } from "../supervisor/orphan.ts";
import { PidFile } from "../process/pid_file.ts";
import { processFacts, readStatus } from "../process/proc.ts";
import {
  cpuPercentSince,
  measureTree,
  startTimeOf,
  type TreeMeasure,
  type TreeSample,
} from "../process/tree_sample.ts";
import { status } from "../control/status.ts";
import { parseRecord, recordPath } from "../supervisor/record.ts";
import { signalNumber } from "../signal_names.ts";
import type { StatusReport } from "./format.ts";

/** Over how long the CPU use `status` shows is measured, in milliseconds. */
export const CPU_WINDOW_MS = 500;

/** A report, and the look at its program's tree the CPU use is measured from. */
export interface Measured {
  readonly report: StatusReport;
  readonly sample: TreeSample | undefined;
}

/**
 * The exit status of a last run as a shell gives it, from its words
 * (`exited with status 3`: 3; `was killed by SIGKILL`: 137); null when unknown.
 */
export function exitCodeOf(lastExit: string | null): number | null {
  if (lastExit === null) return null;
  const exited = /^exited with status (\d+)$/.exec(lastExit);
  if (exited) return Number(exited[1]);
  const killed = /^was killed by (SIG[A-Z0-9+-]+)$/.exec(lastExit);
  const signal = killed ? signalNumber(killed[1]!) : undefined;
  return signal === undefined ? null : 128 + signal;
}

/** The size of the regular file at `path`; null when there is none (or it is no file). */
export function fileBytes(path: string | undefined): number | null {
  if (path === undefined) return null;
  try {
    const id = getLibc().fileIdAt(path);
    return (id.mode & 0o170000) === 0o100000 ? id.size : null;
  } catch {
    return null;
  }
}

/** The report fields of a measured tree. */
function treeFields(tree: TreeMeasure) {
  return { rssBytes: tree.rssBytes, cpuSeconds: tree.cpuSeconds, processes: tree.processes };
}

/**
 * The status report of one daemon, its log at `log` (when known), and the
 * look at its program's tree to measure its CPU use from. `cpuPercent` is
 * left null: {@link withRecentCpu} fills it in.
 */
export function measure(name: string, pidFile: string, log?: string): Measured {
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
    found: null,
    unsupervised: null,
    logBytes: fileBytes(log),
    droppedLines: null,
  };
  switch (s.state) {
    case "running": {
      const supervised = s.supervised;
      if (!supervised) {
        const tree = measureTree([s.pid, ...s.otherPids]);
        const report: StatusReport = {
          ...base,
          state: "running",
          pid: s.pid,
          ...processFacts(s.pid),
          ...treeFields(tree),
          startTime: startTimeOf(s.pid),
        };
        return { report, sample: tree.sample };
      }
      // The program's tree is the supervisor's other session members; the
      // supervisor (the daemon's main process) is measured apart.
      const tree = measureTree(s.otherPids);
      const record = parseRecord(readTextFileIfAny(recordPath(pidFile)));
      const ours = record?.supervisor === s.pid ? record : undefined;
      const sup = {
        ...base,
        ...treeFields(tree),
        supervisorPid: s.pid,
        supervisorRssBytes: readStatus(s.pid)?.rssBytes ?? null,
        restarts: supervised.restarts,
        lastExit: supervised.lastExit,
        lastExitCode: exitCodeOf(supervised.lastExit),
        droppedLines: ours?.droppedLines ?? 0,
      };
      const program = supervised.program;
      if (program === null) {
        // Between two runs: not up, whatever its supervisor does.
        const next = supervised.nextStart;
        const report: StatusReport = {
          ...sup,
          state: "restarting",
          pid: null,
          restartAt: next === null ? null : new Date(next).toISOString(),
        };
        return { report, sample: tree.sample };
      }
      const facts = processFacts(program);
      const report: StatusReport = {
        ...sup,
        state: "running",
        uptimeSeconds: facts.uptimeSeconds,
        command: facts.command,
        pid: program,
        startTime: startTimeOf(program),
        otherProcesses: Math.max(0, s.others - 1),
        ...(supervised.health ? { health: supervised.health } : {}),
      };
      return { report, sample: tree.sample };
    }
    case "dead": {
      // What the file is, when nothing of a daemon of ours runs.
      const file = new PidFile(pidFile);
      const found = s.others || s.unverified ? undefined : file.unsafe() ?? file.inspect();
      const orphan = s.others ? findOrphan(pidFile, file.identity()?.token) : undefined;
      const report: StatusReport = {
        ...base,
        state: "dead",
        pid: s.pid ?? null,
        found: found ?? null,
        unsupervised: orphan?.pid ?? null,
      };
      return { report, sample: undefined };
    }
    case "failed": {
      const report: StatusReport = {
        ...base,
        state: "failed",
        pid: null,
        restarts: s.restarts,
        lastExit: s.lastExit,
        lastExitCode: exitCodeOf(s.lastExit),
      };
      return { report, sample: undefined };
    }
    case "stopped":
      return { report: { ...base, state: "stopped", pid: null }, sample: undefined };
  }
}

/** The status report of one daemon, without its recent CPU use (see {@link measure}). */
export function reportOf(name: string, pidFile: string, log?: string): StatusReport {
  return measure(name, pidFile, log).report;
}

/**
 * The reports of `measured`, each with its program tree's CPU use over the
 * `windowMs` after its look: one wait for all of them, and none when no
 * tree was looked at (nothing runs).
 */
export async function withRecentCpu(
  measured: readonly Measured[],
  windowMs: number = CPU_WINDOW_MS,
): Promise<StatusReport[]> {
  if (measured.some((m) => m.sample !== undefined)) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
  }
  return measured.map(({ report, sample }) =>
    sample === undefined
      ? report
      : { ...report, cpuPercent: cpuPercentSince(sample), cpuWindowSeconds: windowMs / 1000 }
  );
}
