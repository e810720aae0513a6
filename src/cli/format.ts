/**
 * Text the command prints: status lines and objects, help, colour. Pure
 * functions building strings; printing is left to `main`.
 *
 * @module
 */
import { oneLine } from "../text.ts";
import type { HealthResult } from "../supervisor/record.ts";
import type { StatusReport } from "../observe/status_report.ts";

export type { StatusReport };

/** `health ok`, `health failing 2 of 3 (exited with status 1), 4s ago`. */
export function healthFacts(health: HealthResult, now: number): string {
  const ago = `${formatDuration(Math.max(0, Math.round((now - health.at) / 1000)))} ago`;
  return health.ok
    ? `health ok ${ago}`
    : `health failing ${health.failures} of ${health.retries} ${ago} (${oneLine(health.message)})`;
}

/**
 * The LSB exit status of `status` for one daemon: 0 running, 1 dead with
 * its pid file left, 3 not running (its program between two runs too); 4
 * (unknown) when processes of its session could not be checked.
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
  if (report.state === "restarting") return `${report.name}: ${state} (${restartFacts(report)})`;
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
      `pid ${report.pid}`,
      supervised ? `supervisor pid ${report.supervisorPid}` : undefined,
      !supervised && n ? `and ${n} process${n === 1 ? "" : "es"} it started` : undefined,
      restarts,
      supervised && report.lastExit && report.restarts ? `last run ${report.lastExit}` : undefined,
      report.uptimeSeconds !== null ? `up ${formatDuration(report.uptimeSeconds)}` : undefined,
      report.rssBytes !== null ? `RSS ${formatBytes(report.rssBytes)}` : undefined,
      report.supervisorRssBytes !== null
        ? `supervisor RSS ${formatBytes(report.supervisorRssBytes)}`
        : undefined,
      report.health ? healthFacts(report.health, Date.now()) : undefined,
    ].filter(Boolean).join(", ");
    return `${report.name}: ${state} (${facts})${
      report.command ? `: ${oneLine(report.command)}` : ""
    }`;
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
    if (report.unsupervised !== null) {
      facts.splice(
        0,
        facts.length,
        `its supervisor, pid ${report.pid}, was killed`,
        `its program, pid ${report.unsupervised}, runs on unsupervised: start ${report.name} supervises it again`,
      );
    }
    const named = !n && !u && report.pid ? `, naming pid ${report.pid}` : "";
    const left = report.found
      ? `pid file ${report.pidFile} left: ${report.found}`
      : `pid file ${report.pidFile} left${named}`;
    return `${report.name}: ${state} (${facts.join("; ")}; ${left})`;
  }
  return `${report.name}: ${state}`;
}

/**
 * What a restarting daemon's line says: when its program starts again, the
 * restarts so far, how its last run ended, its supervisor.
 */
function restartFacts(report: StatusReport, now = Date.now()): string {
  const at = report.restartAt === null ? undefined : new Date(report.restartAt);
  const seconds = at && Math.max(0, (at.getTime() - now) / 1000);
  const n = report.restarts ?? 0;
  return [
    at ? `next start at ${at.toTimeString().slice(0, 8)}, in ${seconds!.toFixed(1)} s` : undefined,
    `${n} restart${n === 1 ? "" : "s"} so far`,
    report.lastExit ? `last run ${report.lastExit}` : undefined,
    `supervisor pid ${report.supervisorPid}`,
  ].filter(Boolean).join("; ");
}

/** The colour of a state word. */
function stateColour(state: StatusReport["state"]): "green" | "red" | "yellow" {
  return state === "running"
    ? "green"
    : state === "stopped" || state === "restarting"
    ? "yellow"
    : "red";
}

/**
 * The list of daemons as a table: name, pid, state, uptime, restarts, CPU
 * over the recent moment its header names, the memory of the program's
 * tree and that of its supervisor.
 */
export function statusTable(reports: readonly StatusReport[], colour: boolean): string {
  const bytes = (n: number | null) => n === null ? "-" : formatBytes(n);
  const rows = reports.map((r) => [
    r.name,
    r.pid === null ? "-" : String(r.pid),
    r.state,
    r.uptimeSeconds === null ? "-" : formatDuration(r.uptimeSeconds),
    r.restarts === null ? "-" : String(r.restarts),
    r.cpuPercent === null ? "-" : `${r.cpuPercent.toFixed(1)}%`,
    r.state === "running" || r.state === "restarting" ? bytes(r.rssBytes) : "-",
    bytes(r.supervisorRssBytes),
  ]);
  const window = reports.find((r) => r.cpuWindowSeconds !== null)?.cpuWindowSeconds;
  const cpu = window ? `CPU(${window}s)` : "CPU";
  const header = ["NAME", "PID", "STATE", "UPTIME", "RESTARTS", cpu, "MEMORY", "SUPERVISOR"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[], state?: StatusReport["state"]) =>
    cells.map((cell, i) => {
      const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i]!);
      return i === 2 && state ? paint(padded, stateColour(state), colour) : padded;
    }).join("  ").trimEnd();
  return [line(header), ...rows.map((row, i) => line(row, reports[i]!.state))].join("\n") + "\n";
}
