/**
 * The Prometheus text exposition (format 0.0.4) of daemons' status reports:
 * what `status --prometheus` prints and `serve` answers at `/metrics`. A
 * pure function of the reports; every series is labelled with the daemon's
 * `name`.
 *
 * @module
 */
import type { StatusReport } from "./status_report.ts";

/** The content type of the exposition, for an HTTP answer. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Every state a daemon can be in, one `daemonize_state` series each. */
export const STATES: readonly StatusReport["state"][] = [
  "running",
  "restarting",
  "dead",
  "stopped",
  "failed",
];

/** One metric family: its name, type, help and the value of each report (none: no sample). */
interface Family {
  readonly name: string;
  readonly type: "gauge" | "counter";
  readonly help: string;
  readonly samples: (r: StatusReport) => readonly Sample[];
}

/** One sample: its labels beyond `name`, and its value. */
interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One sample of `value`, none when it is unknown. */
function one(value: number | null | undefined): Sample[] {
  return value === null || value === undefined || !Number.isFinite(value) ? [] : [{ value }];
}

/** Seconds since the epoch of an ISO 8601 time, null when there is none. */
function epochSeconds(iso: string | null): number | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

const FAMILIES: readonly Family[] = [
  {
    name: "daemonize_up",
    type: "gauge",
    help: "Whether the daemon's program runs (1) or not (0).",
    samples: (r) => [{ value: r.state === "running" ? 1 : 0 }],
  },
  {
    name: "daemonize_state",
    type: "gauge",
    help: "The daemon's state: 1 for the state it is in, 0 for the others.",
    samples: (r) =>
      STATES.map((state) => ({ labels: { state }, value: r.state === state ? 1 : 0 })),
  },
  {
    name: "daemonize_restarts_total",
    type: "counter",
    help: "Restarts of the program by its supervisor since the supervisor started.",
    samples: (r) => one(r.restarts),
  },
  {
    name: "daemonize_last_exit_code",
    type: "gauge",
    help: "How the program's last run ended: its exit status, or 128 + N when killed by signal N.",
    samples: (r) => one(r.lastExitCode),
  },
  {
    name: "daemonize_start_time_seconds",
    type: "gauge",
    help: "When the program started, in seconds since the Unix epoch.",
    samples: (r) => one(epochSeconds(r.startTime)),
  },
  {
    name: "daemonize_cpu_seconds_total",
    type: "counter",
    help: "CPU time used by the program's process tree, its ended children's included.",
    samples: (r) => one(r.cpuSeconds),
  },
  {
    name: "daemonize_resident_memory_bytes",
    type: "gauge",
    help: "Resident memory of the program's whole process tree (its supervisor's apart).",
    samples: (r) => one(r.rssBytes),
  },
  {
    name: "daemonize_supervisor_resident_memory_bytes",
    type: "gauge",
    help: "Resident memory of the daemon's supervisor, when one runs the program.",
    samples: (r) => one(r.supervisorRssBytes),
  },
  {
    name: "daemonize_processes",
    type: "gauge",
    help: "Processes in the program's tree.",
    samples: (r) => one(r.processes),
  },
  {
    name: "daemonize_log_bytes",
    type: "gauge",
    help: "Size of the daemon's log file (standard output's; it shrinks when rotated).",
    samples: (r) => one(r.logBytes),
  },
  {
    name: "daemonize_dropped_lines_total",
    type: "counter",
    help: "Lines of output the log could not take (a full disk...) since the supervisor started.",
    samples: (r) => one(r.droppedLines),
  },
  {
    name: "daemonize_health_ok",
    type: "gauge",
    help: "Whether the program's last health check passed (1) or failed (0), where one is set.",
    samples: (r) => r.health ? [{ value: r.health.ok ? 1 : 0 }] : [],
  },
  {
    name: "daemonize_info",
    type: "gauge",
    help: "Always 1: the daemon's command line as a label, while it runs.",
    samples: (r) => r.command === null ? [] : [{ labels: { command: r.command }, value: 1 }],
  },
];

/** A label value escaped as the exposition format asks: `\\`, `\"` and `\n`. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escaped: `\\` and `\n`. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value as the format writes it (`+Inf`, `NaN`, or the number). */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/**
 * The Prometheus text exposition of `reports`: each family's HELP and TYPE
 * lines, then one sample per daemon (and per state for
 * `daemonize_state`), labelled `name`. A family no daemon has a value of
 * is left out. The same name twice is given once (the first).
 */
export function exposition(reports: readonly StatusReport[]): string {
  const seen = new Set<string>();
  const unique = reports.filter((r) => !seen.has(r.name) && seen.add(r.name));
  const lines: string[] = [];
  for (const family of FAMILIES) {
    const rows = unique.flatMap((r) =>
      family.samples(r).map((sample) => {
        const labels = { name: r.name, ...sample.labels };
        const text = Object.entries(labels)
          .map(([key, value]) => `${key}="${escapeLabelValue(value)}"`)
          .join(",");
        return `${family.name}{${text}} ${formatValue(sample.value)}`;
      })
    );
    if (!rows.length) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    lines.push(...rows);
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}
