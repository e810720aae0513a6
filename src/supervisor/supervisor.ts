/**
 * The supervisor: one small process of ours that is a program's parent. It
 * holds the daemon's identity (its pid file names the supervisor), passes
 * the signals it is sent on to the program, restarts the program by its
 * policy, writes the program's output to its logs line by line (rotating
 * them), reaps orphans when it is a container's PID 1, and exits after the
 * program when told to stop.
 *
 * What it is doing is kept beside the pid file (`PATH.supervisor`, JSON), for
 * `status` and `reload`.
 *
 * @module
 */
import { type ExitStatus, type FileAction, getLibc } from "../../ffi/libc.ts";
import {
  exitProgram,
  onSignal,
  pid as ownPid,
  pipeChunks,
  removeFile,
  writeTextFile,
} from "../host.ts";
import { passedDescriptors } from "../daemon/socket_activation.ts";
import { FORWARDED_SIGNALS, RESET_SIGNALS } from "../daemon/signals.ts";
import { describeEnd } from "../text.ts";
import { releaseExecutablePages } from "../daemon/memory.ts";
import { LineCutter, LogFile, logLine } from "./log_file.ts";
import type { PidFile } from "../process/pid_file.ts";
import { allStats, readStat, sessionStats, treeUsage, whyFatal } from "../process/proc.ts";
import type { ReadyChannel } from "../start/ready_channel.ts";
import {
  recordPath,
  type RestartPolicy,
  SUPERVISOR_VARIABLE,
  type SupervisorRecord,
} from "./record.ts";

export type { RestartPolicy };

/** How a supervisor restarts its program and keeps its output. */
export interface Supervision {
  /** `"no"`: never; `"on-failure"`: after a non-zero exit or a death by signal; `"always"`. */
  readonly restart: RestartPolicy;
  /** The first restart's delay (ms); each failure in a row doubles it, up to 30 s. */
  readonly restartDelay: number;
  /** Restarts allowed within `restartWindow`; one more failure and the daemon has failed. */
  readonly maxRestarts: number;
  /** The window (ms) `maxRestarts` counts in. */
  readonly restartWindow: number;
  /** Rotate a captured log before it grows past this many bytes. */
  readonly logMaxSize?: number | undefined;
  /** Rotated logs kept. */
  readonly logKeep?: number | undefined;
  /** Prefix each captured line with the time. */
  readonly logTime?: boolean | undefined;
  /**
   * Restart the program when its process tree's resident memory stays above
   * this many bytes (two looks a second apart): SIGTERM, then SIGKILL after
   * `killAfter` ms.
   */
  readonly maxMemory?: number | undefined;
  /** How long a program told to end (a memory restart) has before SIGKILL (ms); default 10 s. */
  readonly killAfter?: number | undefined;
}

/** The longest wait between restarts (ms). */
export const MAX_RESTART_DELAY = 30_000;
/** A program that stayed up this long (ms) starts its next restart delay afresh. */
export const STEADY_AFTER = 10_000;

/** The program a supervisor starts (and starts again). */
export interface SupervisedProgram {
  /** For messages. */
  readonly name: string;
  readonly path: string;
  /** Its arguments, `argv[0]` included. */
  readonly argv: readonly string[];
  readonly env: readonly string[];
  /** Capture standard output into this log (else it is inherited). */
  readonly stdout?: string | undefined;
  /** Capture standard error into this log (else it is inherited). */
  readonly stderr?: string | undefined;
}

/** What a supervisor is given. */
export interface SupervisorPlan {
  readonly program: SupervisedProgram;
  readonly supervision: Supervision;
  readonly pidFile: PidFile | undefined;
  /** The starter waiting for readiness (a detached start), if any. */
  readonly channel: ReadyChannel | undefined;
  /** The session is the daemon's own (a detached start), not its caller's. */
  readonly ownSession?: boolean;
}

/** Signals after which the program is not started again. */
const STOPPING = new Set(["SIGTERM", "SIGINT", "SIGQUIT"]);
/** Signals a terminal sends to its whole foreground process group. */
const FROM_TERMINAL = new Set(["SIGINT", "SIGQUIT", "SIGWINCH"]);
/** Signals that also reopen the logs (after an external rotation). */
const REOPEN = new Set(["SIGHUP", "SIGUSR2"]);

/** The exit status that passes `end` on (128 + N for death by signal N). */
function exitStatusOf(end: ExitStatus): number {
  return "code" in end ? end.code : 128 + end.signal;
}

/** Runs the supervisor; it lives on as the program's parent, and exits after it. */
export function supervise(plan: SupervisorPlan): void {
  new Supervisor(plan).begin();
}

/** One run of the program: its pid, and its output still to be read. */
interface Run {
  readonly pid: number;
  readonly streams: Promise<void>[];
  /** Its captured streams, cut into lines. */
  readonly cutters: LineCutter[];
}

class Supervisor {
  readonly #plan: SupervisorPlan;
  readonly #logs = new Map<string, LogFile>();
  #child: Run | undefined;
  /** The program's pidfd: signals reach it, never a process that took its pid. */
  #pidfd: number | undefined;
  #childPid: number | null = null;
  #startedAt = 0;
  #streak = 0;
  #restartTimes: number[] = [];
  #restarts = 0;
  #stopping = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastExit: string | null = null;
  /** The run was ended for its memory: it is started again whatever the policy. */
  #overgrown = false;
  #memoryTimer: ReturnType<typeof setInterval> | undefined;
  #logFailed = false;
  #above = 0;

  constructor(plan: SupervisorPlan) {
    this.#plan = plan;
  }

  begin(): void {
    const { program, supervision } = this.#plan;
    for (const path of [program.stdout, program.stderr]) {
      if (path === undefined || this.#logs.has(path)) continue;
      this.#logs.set(
        path,
        new LogFile(path, { maxSize: supervision.logMaxSize, keep: supervision.logKeep }),
      );
    }
    for (const name of FORWARDED_SIGNALS) onSignal(name, () => this.#onSignal(name));
    if (supervision.maxMemory !== undefined) {
      this.#memoryTimer = setInterval(() => this.#checkMemory(), MEMORY_EVERY);
    }
    // We spawn (and reap) our children ourselves: orphans too, as PID 1.
    onSignal("SIGCHLD", () => this.#reap());
    this.#start();
    // The starter judges the first run (grace, readiness check) and leaves
    // once it is satisfied; until then an end of the program fails the start.
    if (this.#childPid !== null) this.#plan.channel?.programStarted(this.#childPid);
    // Started: what the runtime needed to get here can leave memory. (After
    // the word to the starter: Deno's first timer costs it 6 ms or more.)
    setTimeout(releaseExecutablePages, TRIM_AFTER);
    // Signal handlers and a child don't keep a runtime running; this does,
    // until #finish exits.
    setInterval(() => {}, 2 ** 30);
  }

  /** Tells the starter, if it still waits, how the program ended; once. */
  #tellStarter(end: ExitStatus): void {
    const channel = this.#plan.channel;
    if (!channel?.open) return;
    if ("code" in end) channel.exited(end.code);
    else channel.killed(end.signal);
    // Said once: the exit that follows is ours, not the program's.
    channel.close();
  }

  /** Whether the start was judged a success (the starter left), so ends are restarted. */
  #started(): boolean {
    const channel = this.#plan.channel;
    if (!channel || channel.starterGone()) {
      channel?.close();
      return true;
    }
    return false;
  }

  /** A line of our own in the daemon's log (or on standard error). */
  #say(text: string): void {
    const log = this.#plan.program.stderr ?? this.#plan.program.stdout;
    const line = `daemonize: ${text}`;
    if (log === undefined) console.error(line);
    else this.#logging(() => logLine(this.#logs.get(log)!, line, !!this.#plan.supervision.logTime));
  }

  /**
   * Runs a write to the logs; one that fails (a full disk, a file that can't
   * be reopened) is said once on standard error, and the program runs on.
   */
  #logging(write: () => void): void {
    try {
      write();
    } catch (error) {
      if (this.#logFailed) return;
      this.#logFailed = true;
      console.error(`daemonize: cannot write the log: ${(error as Error).message}`);
    }
  }

  #record(state: SupervisorRecord["state"]): void {
    const { pidFile, supervision } = this.#plan;
    if (!pidFile) return;
    const record: SupervisorRecord = {
      supervisor: ownPid(),
      program: state === "running" ? this.#childPid : null,
      state,
      restarts: this.#restarts,
      since: state === "running" ? this.#startedAt : Date.now(),
      lastExit: this.#lastExit,
      restartPolicy: supervision.restart,
    };
    try {
      writeTextFile(recordPath(pidFile.path), JSON.stringify(record) + "\n", 0o644);
    } catch {
      // Status then knows less; the program runs all the same.
    }
  }

  #start(): void {
    const { program } = this.#plan;
    const libc = getLibc();
    this.#startedAt = Date.now();
    const env = [
      ...program.env.filter((entry) => !entry.startsWith(`${SUPERVISOR_VARIABLE}=`)),
      `${SUPERVISOR_VARIABLE}=${ownPid()}`,
    ];
    // Captured streams come through pipes, cut into lines for this run
    // alone (a process the last run left may still write); the others are
    // ours, inherited.
    const pipes: [number, number][] = [];
    const cutters: LineCutter[] = [];
    const actions: FileAction[] = [];
    const time = !!this.#plan.supervision.logTime;
    for (const [fd, path] of [[1, program.stdout], [2, program.stderr]] as const) {
      if (path === undefined) continue;
      const [read, write] = libc.pipe();
      pipes.push([read, write]);
      cutters.push(new LineCutter(this.#logs.get(path)!, time));
      actions.push({ dup2: { from: write, to: fd } });
    }
    // Sockets passed by socket activation stay on 3, 4, …, and the program,
    // not this supervisor, is named by LISTEN_PID: a shell sets it, then
    // executes the program.
    const listen = passedDescriptors();
    actions.push({ closeFrom: 3 + listen });
    const command = listen
      ? {
        path: "/bin/sh",
        argv: [
          "sh",
          "-c",
          'LISTEN_PID=$$; export LISTEN_PID; exec "$@"',
          "sh",
          program.path,
          ...program.argv.slice(1),
        ],
      }
      : program;
    let pid: number;
    try {
      pid = libc.spawn({
        path: command.path,
        argv: command.argv,
        env,
        newSession: false,
        defaultSignals: RESET_SIGNALS.map((name) => libc.constants.signals[name]!),
        fileActions: actions,
      });
    } catch (error) {
      for (const [read, write] of pipes) [read, write].forEach((fd) => libc.close(fd));
      // Not started at all (ENOENT, EACCES): as a shell reports it.
      this.#say(`cannot execute ${program.path}: ${(error as Error).message}`);
      const code = (error as { code?: string }).code === "EACCES" ? 126 : 127;
      this.#lastExit = describeEnd({ code });
      if (!this.#started()) this.#finish({ code }, "stopped", true);
      this.#finish({ code }, "failed");
    }
    // Ours alone to reap, so the pid can't pass to another process before we
    // see it end: the pidfd is certainly the program's (and without pidfds,
    // kill(2) on the pid is as safe, for the same reason).
    try {
      this.#pidfd = libc.pidfdOpen(pid);
    } catch {
      this.#pidfd = undefined;
    }
    const streams = pipes.map(([read, write], i) => {
      libc.close(write);
      return this.#drain(read, cutters[i]!);
    });
    this.#child = { pid, streams, cutters };
    this.#childPid = pid;
    this.#record("running");
  }

  /** Reads a pipe into its log until its end (every writer closed it). */
  async #drain(fd: number, cutter: LineCutter): Promise<void> {
    try {
      for await (const chunk of pipeChunks(fd)) this.#logging(() => cutter.push(chunk));
    } catch (error) {
      this.#say(`cannot read the program's output: ${(error as Error).message}`);
    } finally {
      try {
        getLibc().close(fd);
      } catch {
        // Closed by the reader already.
      }
    }
  }

  /** Reaps every child that ended: the program's end, or an orphan's (as PID 1). */
  #reap(): void {
    for (;;) {
      const reaped = getLibc().reapAny();
      if (!reaped) return;
      if (this.#child && reaped.pid === this.#child.pid) {
        this.#ended(this.#child, reaped.status).catch((error) => {
          console.error(`daemonize: supervisor: ${(error as Error).message}`);
        });
      }
    }
  }

  async #ended(child: Run, end: ExitStatus): Promise<void> {
    if (this.#child !== child) return;
    this.#child = undefined;
    this.#childPid = null;
    if (this.#pidfd !== undefined) getLibc().close(this.#pidfd);
    this.#pidfd = undefined;
    // Ended while the starter judges it: the start fails; it is told now,
    // before the wait for the last output, which may outlast its grace period.
    const started = this.#started();
    if (!started) this.#tellStarter(end);
    // Its output up to its last line, unless a process it left keeps the pipe.
    await Promise.race([Promise.all(child.streams), new Promise((r) => setTimeout(r, 200))]);
    for (const cutter of child.cutters) this.#logging(() => cutter.end());
    const uptime = Date.now() - this.#startedAt;
    this.#lastExit = describeEnd(end);
    const failed = !("code" in end) || end.code !== 0;
    const { supervision, program } = this.#plan;
    if (!started) {
      // Ended while the starter judges it: the start fails, with its status.
      this.#finish(end, "stopped", true);
      return;
    }
    const overgrown = this.#overgrown;
    this.#overgrown = false;
    const again = !this.#stopping && (overgrown || supervision.restart === "always" ||
      (supervision.restart === "on-failure" && failed));
    if (!again) {
      if (this.#plan.channel || supervision.restart !== "no") {
        const policy = this.#stopping || supervision.restart === "no" ? "" : "; not restarted";
        this.#say(`${program.name} ${this.#lastExit}${policy}`);
      }
      this.#finish(end, "stopped");
      return;
    }
    const now = Date.now();
    this.#restartTimes = this.#restartTimes.filter((t) => now - t < supervision.restartWindow);
    if (this.#restartTimes.length >= supervision.maxRestarts) {
      this.#say(
        `${program.name} ${this.#lastExit}; giving up after ${this.#restartTimes.length} restarts within ${
          supervision.restartWindow / 1000
        } s`,
      );
      this.#finish(end, "failed");
      return;
    }
    if (uptime >= STEADY_AFTER) this.#streak = 0;
    const delay = Math.min(MAX_RESTART_DELAY, supervision.restartDelay * 2 ** this.#streak);
    this.#streak++;
    this.#say(`${program.name} ${this.#lastExit}; restarting in ${formatDelay(delay)}`);
    this.#record("waiting");
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopping) return;
      this.#restartTimes.push(Date.now());
      this.#restarts++;
      this.#start();
    }, delay);
  }

  #onSignal(name: string): void {
    if (REOPEN.has(name)) {
      for (const log of this.#logs.values()) {
        try {
          log.reopen();
        } catch (error) {
          console.error(`daemonize: cannot reopen ${log.path}: ${(error as Error).message}`);
        }
      }
    }
    if (STOPPING.has(name)) {
      this.#stopping = true;
      if (this.#timer !== undefined) {
        // Stopped while waiting to restart: nothing runs, done.
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#finish({ code: 0 }, "stopped");
        return;
      }
    }
    // The terminal signalled our whole group, the program included: once is enough.
    if (FROM_TERMINAL.has(name) && inTerminalForeground()) return;
    // A log rotation's HUP or USR2 must not end a program that has no use for it.
    if (REOPEN.has(name) && this.#childPid !== null) {
      const number = getLibc().constants.signals[name]!;
      if (whyFatal(this.#childPid, number, name)) return;
    }
    this.#send(name);
  }

  /** Ends the program (SIGTERM, then SIGKILL) once its tree stays above the memory limit. */
  #checkMemory(): void {
    const limit = this.#plan.supervision.maxMemory!;
    const pid = this.#childPid;
    if (pid === null || this.#stopping || this.#overgrown) {
      this.#above = 0;
      return;
    }
    const rss = treeUsage(descendantsOf(pid)).rssBytes;
    this.#above = rss > limit ? this.#above + 1 : 0;
    if (this.#above < 2) return;
    this.#above = 0;
    this.#overgrown = true;
    const name = this.#plan.program.name;
    this.#say(
      `${name} uses ${megabytes(rss)} (limit ${megabytes(limit)}); restarting it`,
    );
    const child = this.#child;
    this.#send("SIGTERM");
    setTimeout(() => {
      if (this.#child === child) this.#send("SIGKILL");
    }, this.#plan.supervision.killAfter ?? 10_000);
  }

  /** Sends `name` to the program, through its pidfd. */
  #send(name: string): void {
    if (!this.#child) return;
    const libc = getLibc();
    const number = libc.constants.signals[name]!;
    try {
      if (this.#pidfd !== undefined) libc.pidfdSendSignal(this.#pidfd, number);
      else libc.kill(this.#child.pid, number);
    } catch {
      // Ended meanwhile: its exit is on its way.
    }
  }

  #finish(end: ExitStatus, state: SupervisorRecord["state"], failedStart = false): never {
    if (this.#memoryTimer !== undefined) clearInterval(this.#memoryTimer);
    // A failure is remembered (status shows it); a stop leaves nothing.
    if (state === "failed") this.#record(state);
    else if (this.#plan.pidFile) {
      try {
        removeFile(recordPath(this.#plan.pidFile.path));
      } catch {
        // Left: it names a supervisor that is gone, which status sees.
      }
    }
    for (const log of this.#logs.values()) log.close();
    if (failedStart) {
      this.#plan.pidFile?.release();
      this.#tellStarter(end);
      exitProgram(1);
    }
    // Processes the program left in the daemon's session are still the
    // daemon: its pid file stays, so that status counts them and stop ends them.
    const left = this.#plan.ownSession ? leftInSession() : [];
    if (left.length) {
      this.#say(
        `${this.#plan.program.name} left ${left.length} process${
          left.length === 1 ? "" : "es"
        } running (pid ${left.slice(0, 5).join(", ")}); stop ends them`,
      );
      this.#plan.pidFile?.keep();
      exitProgram(exitStatusOf(end));
    }
    this.#plan.pidFile?.release();
    exitProgram(state === "failed" ? Math.max(1, exitStatusOf(end)) : exitStatusOf(end));
  }
}

/** When the supervisor hands back the pages it needed to start (ms). */
const TRIM_AFTER = 2000;

/** How often a memory limit is checked (ms). */
const MEMORY_EVERY = 1000;

/** `pid` and every process below it. */
function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const stat of allStats()) {
    const list = children.get(stat.ppid);
    if (list) list.push(stat.pid);
    else children.set(stat.ppid, [stat.pid]);
  }
  const found = [pid];
  for (let i = 0; i < found.length; i++) found.push(...children.get(found[i]!) ?? []);
  return found;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Live processes of this supervisor's session, but itself. */
function leftInSession(): number[] {
  const self = ownPid();
  const sid = readStat("self")?.sid;
  if (sid === undefined) return [];
  return sessionStats(sid)
    .filter((s) => s.sid === sid && s.pid !== self && s.state !== "Z")
    .map((s) => s.pid);
}

/** Whether this process is in its terminal's foreground process group. */
function inTerminalForeground(): boolean {
  const self = readStat("self");
  return !!self && self.tpgid > 0 && self.tpgid === self.pgrp;
}

function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s`;
}
