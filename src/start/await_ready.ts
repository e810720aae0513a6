/**
 * The starter's wait after the spawn, in phases: the readiness pipe (the
 * daemon's word), then the program's proof (grace, sign or check), and on
 * failure the undoing of the start and the error that says why.
 *
 * @module
 */
import { type ExitStatus, getLibc } from "../../ffi/libc.ts";
import { asDaemonError, DaemonError } from "../errors.ts";
import type { ResolvedOptions } from "../options.ts";
import { selfIdentity } from "../process/identity.ts";
import { leftBehind, type Member } from "../process/process_tree.ts";
import type { PidFile } from "../process/pid_file.ts";
import { sleepSync } from "../process/pid_lock.ts";
import { isRunning, readStat, sessionStats } from "../process/proc.ts";
import { describeEnd } from "../text.ts";
import { logTail } from "./log_tail.ts";
import type { ProgramStart, StartPlan } from "./plan.ts";
import { parseMessage } from "./ready_channel.ts";
import { describeCheck, ReadyProbe } from "./ready_probe.ts";
import { SettleWatch } from "./settle.ts";

/** Waits up to `ms` for `pid` to be gone or a zombie (not our child: no waitpid). */
function waitGone(pid: number, ms: number): void {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && isRunning(pid)) sleepSync(1);
}

/** A shell reports death by signal N as status 128 + N. */
function shellStatus(code: number): ExitStatus {
  return code > 128 && code < 192 ? { signal: code - 128 } : { code };
}

/** What the starter waits on. */
export interface Waiting {
  readonly plan: StartPlan;
  /** The readiness pipe, written by the daemon only. */
  readonly fd: number;
  /** The watching shell's report pipe (double detach of a program). */
  readonly reportFd: number | undefined;
  /** The socket a `--notify` program sends `READY=1` to. */
  readonly notifyFd: number | undefined;
  /** What we started: the daemon (single detach) or the shell. */
  readonly child: number;
  readonly options: ResolvedOptions;
  readonly pidFile: PidFile | undefined;
  readonly program: ProgramStart | undefined;
  readonly logs: Map<string, number>;
  /** The token the daemon's processes carry. */
  readonly token: string;
}

/** What the starter has learnt of the start so far. */
interface Progress {
  readonly deadline: number;
  daemonPid?: number;
  /** The program a supervisor of ours started. */
  programPid?: number;
  /** When the program started executing. */
  execedAt?: number;
  failure?: DaemonError;
  ended?: ExitStatus;
  timedOut: boolean;
  /** Our child (single detach: the daemon) is reaped already. */
  reaped: boolean;
  /** How our child ended, when it failed before the daemon said anything. */
  exitedEarly?: ExitStatus;
}

/** Reads `KIND` lines from a pipe; false at end of file. */
class LineReader {
  readonly #decoder = new TextDecoder();
  readonly #buffer = new Uint8Array(4096);
  #pending = "";
  constructor(readonly fd: number) {}
  /** Reads what is there; returns the complete lines, or undefined at EOF. */
  read(): string[] | undefined {
    const n = getLibc().read(this.fd, this.#buffer);
    if (n === 0) return undefined;
    this.#pending += this.#decoder.decode(this.#buffer.subarray(0, n), { stream: true });
    const lines = this.#pending.split("\n");
    this.#pending = lines.pop()!;
    return lines;
  }
}

/**
 * The starter's side after the spawn, in three phases: the readiness pipe
 * (the daemon's word), then the program's proof (grace, sign or check),
 * and on failure the undoing of the start.
 */
export function awaitReady(w: Waiting): number {
  const progress: Progress = {
    deadline: Date.now() + w.options.readyTimeout,
    timedOut: false,
    reaped: false,
  };
  const pipe = new LineReader(w.fd);
  const ready = readReadinessPipe(w, progress, pipe);
  if (ready !== undefined) return ready;
  const p = progress;
  if (
    p.execedAt !== undefined && p.daemonPid !== undefined && !p.failure && !p.ended && !p.timedOut
  ) {
    if (awaitProof(w, progress, pipe)) return p.daemonPid;
  }
  const left = undoStart(w, progress);
  throw startFailure(w, progress, left);
}

/**
 * Phase 1: the readiness pipe, until READY (the daemon's pid is returned),
 * a failure, or its end (the daemon exited, or became the program: the
 * pipe is close-on-exec).
 */
function readReadinessPipe(w: Waiting, p: Progress, pipe: LineReader): number | undefined {
  const libc = getLibc();
  for (let open = true; open && !p.failure;) {
    const left = p.deadline - Date.now();
    if (left <= 0 || !libc.waitReadable(w.fd, left)) {
      p.timedOut = true;
      return undefined;
    }
    const lines = pipe.read();
    if (!lines) return undefined;
    for (const line of lines) {
      const message = parseMessage(line);
      if (message?.kind === "pid" && w.plan.detach === "direct") {
        // Started by the starter itself: the program's pid, and it is
        // executing now; its pid file is ours to write.
        p.daemonPid = message.pid;
        p.execedAt = Date.now();
        open = false;
        try {
          w.pidFile?.acquire(selfIdentity(message.pid, w.token, true));
        } catch (error) {
          p.failure = asDaemonError("pid-file", "cannot write the pid file", error);
        }
      } else if (message?.kind === "pid") p.daemonPid = message.pid;
      else if (message?.kind === "exec") p.execedAt = Date.now();
      else if (message?.kind === "program") {
        // A supervisor started the program and keeps the pipe: judge it now.
        p.execedAt = Date.now();
        p.programPid = message.pid;
        open = false;
      } else if (message?.kind === "exit") p.ended ??= { code: message.code };
      else if (message?.kind === "error") p.failure ??= message.error;
      else if (message?.kind === "ready") {
        if (w.plan.detach !== "single") libc.waitpid(w.child);
        return message.pid;
      }
    }
    open &&= !p.ended;
  }
  return undefined;
}

/**
 * Phase 2: the program runs; it must last its grace period, or settle (be
 * seen idle, up to its limit), or say READY=1 (with --notify), or pass its
 * readiness check, before the ready timeout.
 * A supervisor reports its end on the readiness pipe; a watching shell on
 * its own pipe. True once the program has proved itself.
 */
function awaitProof(w: Waiting, p: Progress, pipe: LineReader): boolean {
  const libc = getLibc();
  const { plan, child } = w;
  const single = plan.detach === "single";
  let probe: ReadyProbe | undefined;
  try {
    const judge = plan.judge;
    const waitsForSign = judge.kind === "notify" || judge.kind === "check";
    // The ready timeout bounds the whole start, a longer grace period too.
    const windowEnd = judge.kind === "grace"
      ? Math.min(p.deadline, p.execedAt! + judge.ms)
      : judge.kind === "settle"
      ? Math.min(p.deadline, p.execedAt! + judge.limit)
      : p.deadline;
    // Its processes are looked at, the program's own (not its supervisor).
    const settle = judge.kind === "settle"
      ? new SettleWatch(p.programPid ?? p.daemonPid!, p.execedAt! + judge.minimum)
      : undefined;
    const report = plan.endReport === "supervisor"
      ? pipe
      : w.reportFd === undefined
      ? undefined
      : new LineReader(w.reportFd);
    if (judge.kind === "check") probe = new ReadyProbe(judge.check, w.logs);
    const sid = readStat(p.programPid ?? p.daemonPid!)?.sid;
    const daemonPids = () =>
      sid === undefined ? [] : sessionStats(sid).filter((s) => s.sid === sid).map((s) => s.pid);
    let proven = false;
    let nextProbe = 0;
    while (!proven && !p.ended && !p.failure) {
      if (single) {
        const status = libc.waitpid(child, true);
        if (status) {
          p.ended = status;
          p.reaped = true;
          break;
        }
      }
      if (probe && Date.now() >= nextProbe) {
        try {
          proven = probe.poll(daemonPids);
        } catch (error) {
          p.failure = asDaemonError("ready", `cannot check ${describeCheck(probe.check)}`, error);
          break;
        }
        if (proven) break;
        nextProbe = Date.now() + PROBE_EVERY;
      }
      if (settle?.untilNext() === 0 && settle.look()) {
        proven = true;
        break;
      }
      const left = windowEnd - Date.now();
      if (left <= 0) {
        // Still busy at its settling limit, a program counts as started; the
        // ready timeout, which bounds the whole start, fails it.
        if (waitsForSign || Date.now() >= p.deadline) p.timedOut = true;
        else proven = true;
        break;
      }
      const fds = [report?.fd, w.notifyFd].filter((fd): fd is number => fd !== undefined);
      const wait = Math.min(
        left,
        single ? 5 : left,
        probe ? PROBE_EVERY : left,
        settle ? Math.max(1, settle.untilNext()) : left,
      );
      const ready = fds.length ? libc.poll(fds, wait) : [];
      if (!fds.length) sleepSync(Math.min(5, wait));
      if (w.notifyFd !== undefined && ready.includes(w.notifyFd)) {
        proven = /^READY=1$/m.test(libc.receive(w.notifyFd) ?? "");
      }
      if (report && ready.includes(report.fd)) hearEnd(w, p, report);
    }
    probe?.close();
    if (proven && !single) {
      if (w.reportFd !== undefined) libc.kill(child, libc.constants.signals.SIGKILL!);
      libc.waitpid(child);
    }
    return proven;
  } catch (error) {
    // Watching failed: what was started is stopped by the caller, never left.
    probe?.close();
    p.failure ??= asDaemonError("ready", "cannot watch the program start", error);
    return false;
  }
}

/** Reads what a watching shell or a supervisor said of the program's end. */
function hearEnd(w: Waiting, p: Progress, report: LineReader): void {
  const lines = report.read();
  // The supervisor is gone without a word: it was killed.
  if (!lines) p.ended ??= { signal: getLibc().constants.signals.SIGKILL! };
  for (const line of lines ?? []) {
    const message = parseMessage(line);
    if (message?.kind === "exit") {
      // A supervisor reports exit codes as they are; a shell, signals as 128 + N.
      p.ended ??= w.plan.endReport === "supervisor"
        ? { code: message.code }
        : shellStatus(message.code);
    } else if (message?.kind === "killed") p.ended ??= { signal: message.signal };
    else if (message?.kind === "error") p.failure ??= message.error;
  }
}

/**
 * Phase 3, on failure: stops what the start left running (by session and
 * token), reaps our child and removes a pid file that names nothing live.
 * Returns the pids it found left behind.
 */
function undoStart(w: Waiting, p: Progress): number[] {
  const libc = getLibc();
  const { child } = w;
  if (p.timedOut) {
    // Stop what we started: the process group of our child (the shell, and
    // the daemon even before it said its pid; the unreaped child keeps the
    // number from reuse), and the daemon, proven ours by the session our
    // child leads. Then let the pipe drain.
    const kill = libc.constants.signals.SIGKILL!;
    try {
      libc.kill(-child, kill);
    } catch { /* already gone */ }
    for (const daemon of p.daemonPid === undefined ? [] : leftBehind(child, w.token, p.daemonPid)) {
      daemon.signal(kill);
      daemon.close();
    }
    libc.waitReadable(w.fd, 2000);
  }
  // The pipe ends as the daemon's exit closes it: wait for the rest of the exit.
  if (p.daemonPid !== undefined) waitGone(p.daemonPid, 2000);
  // What the failed start left running: the session's processes (the child
  // we started leads it, and is not reaped yet) and whatever carries the token.
  const left = leftBehind(child, w.token);
  stopAll(left);
  const status = p.reaped ? undefined : libc.waitpid(child);
  w.pidFile?.removeIfStale();
  if (!p.ended && status && !("code" in status && status.code === 0)) p.exitedEarly = status;
  return left.map((m) => m.pid);
}

/** The error that says why the start failed, in the program's words where it has some. */
function startFailure(w: Waiting, p: Progress, leftPids: readonly number[]): DaemonError {
  const { options, program } = w;
  if (p.failure) return p.failure;
  if (p.timedOut) {
    const what = program?.notify
      ? `${program.name} did not send READY=1`
      : program?.ready
      ? `${program.name} was not ${describeCheck(program.ready)}`
      : "daemon not ready";
    return new DaemonError("ready", `${what} within ${options.readyTimeout} ms; it was killed`);
  }
  const ended = p.ended;
  if (program && ended && "code" in ended && ended.code === 0 && leftPids.length > 0) {
    const n = leftPids.length;
    return new DaemonError(
      "startup",
      `${program.name} put itself in the background: it exited with status 0 ${
        startWindow(program)
      }, leaving pid ${leftPids.slice(0, 5).join(", ")} running (now stopped${
        n > 1 ? `: ${n} processes` : ""
      }); run it in the foreground instead (its "no daemon" or "foreground" option)` +
        logTail(w.logs),
    );
  }
  if (program && ended) {
    const when = program.notify
      ? "before it sent READY=1"
      : program.ready
      ? `before it was ${describeCheck(program.ready)}`
      : startWindow(program);
    return new DaemonError(
      "startup",
      `${program.name} ${describeEnd(ended)} ${when}` + logTail(w.logs),
    );
  }
  const end = ended ?? p.exitedEarly;
  if (end) {
    return new DaemonError(
      "startup",
      `daemon ${describeEnd(end)} before it was ready` + logTail(w.logs),
    );
  }
  // Its supervisor, which said its pid, ended before it started the program.
  const who = program?.supervised && p.daemonPid !== undefined
    ? `supervisor ended before it started ${program.name}`
    : "daemon ended before it was ready";
  return new DaemonError(
    "startup",
    `${who}: it closed the readiness pipe without a word` + logTail(w.logs),
  );
}

/** When a program ended, for messages: within its grace period, or during its start-up. */
function startWindow(program: ProgramStart): string {
  return program.grace === undefined
    ? "during its start-up"
    : `within ${program.grace} ms of starting`;
}

/** How often a readiness check is polled (ms). */
const PROBE_EVERY = 20;

/** SIGTERM to each, then SIGKILL to those still running after a second. */
function stopAll(members: readonly Member[]): void {
  const signals = getLibc().constants.signals;
  if (members.length === 0) return;
  for (const m of members) m.signal(signals.SIGTERM!);
  const deadline = Date.now() + 1000;
  while (members.some((m) => m.alive()) && Date.now() < deadline) sleepSync(5);
  for (const m of members) if (m.alive()) m.signal(signals.SIGKILL!);
  const killed = Date.now() + 1000;
  while (members.some((m) => m.alive()) && Date.now() < killed) sleepSync(5);
  for (const m of members) m.close();
}
