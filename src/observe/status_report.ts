/**
 * What `status` reports about a daemon, as `status --json` prints it: the
 * shape `status`, its Prometheus form and `serve` share.
 *
 * @module
 */
import type { HealthResult } from "../supervisor/record.ts";

/** What `status` reports about one daemon. */
export interface StatusReport {
  readonly name: string;
  /** `restarting`: its supervisor runs, its program is between two runs. */
  readonly state: "running" | "restarting" | "dead" | "stopped" | "failed";
  /** The main process; under a supervisor, the program (null between its runs). */
  readonly pid: number | null;
  /** The supervisor's pid, when one runs the program. */
  readonly supervisorPid: number | null;
  readonly uptimeSeconds: number | null;
  /** Resident memory of the program's process tree (its supervisor's apart). */
  readonly rssBytes: number | null;
  /** Resident memory of its supervisor, when one runs the program. */
  readonly supervisorRssBytes: number | null;
  /**
   * CPU use of the program's process tree over the last `cpuWindowSeconds`
   * (100 = one CPU busy); null when not measured.
   */
  readonly cpuPercent: number | null;
  /** Over how many seconds `cpuPercent` was measured. */
  readonly cpuWindowSeconds: number | null;
  /** CPU time the program's process tree used, in seconds (its ended children's too). */
  readonly cpuSeconds: number | null;
  /** How many processes the program's tree has. */
  readonly processes: number | null;
  /** When the program (the daemon's main process) started (ISO 8601, UTC). */
  readonly startTime: string | null;
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
  /** The last run's exit status as a shell gives it (128 + N when killed by signal N), if known. */
  readonly lastExitCode: number | null;
  /** Restarting: when the supervisor starts the program again (ISO 8601, UTC), if it said. */
  readonly restartAt: string | null;
  /** What the pid file is, when it names no daemon of ours (`it holds no pid: "x"`). */
  readonly found: string | null;
  /** A supervised program whose supervisor was killed: it runs on, and a start takes it over. */
  readonly unsupervised: number | null;
  /** Size of its log file (standard output's), when it is a file. */
  readonly logBytes: number | null;
  /** Under a supervisor: lines of output its log could not take (a full disk…). */
  readonly droppedLines: number | null;
  /** Under a supervisor that checks its health: the last check's result, once there was one. */
  readonly health?: HealthResult | null;
}
