/**
 * The starter's side of a start: run the program again in a new session with
 * its standard streams and descriptors already set as the daemon's, then wait
 * on a pipe until the daemon says it is ready or why it is not.
 *
 * Detaching twice needs a session leader that starts the daemon and leaves.
 * That middle process is `/bin/sh` (`"$@" &`), which costs about a
 * millisecond, where a second start of the runtime would cost tens. A shell
 * starts background commands with SIGINT and SIGQUIT ignored; the daemon
 * resets both first thing.
 *
 * @module
 */
import { type ExitStatus, type FileAction, getLibc } from "../ffi/libc.ts";
import { asDaemonError, attempt, DaemonError } from "./errors.ts";
import { changeDirectory, cwd, pid as ownPid, platform } from "./host.ts";
import type { ResolvedOptions } from "./options.ts";
import { leftBehind, type Member, newToken, selfIdentity, TOKEN_VARIABLE } from "./identity.ts";
import { PidFile, runningMessage, sleepSync } from "./pid_file.ts";
import { allStats, isRunning, readStat } from "./proc.ts";
import { parseMessage, readyDescriptor } from "./ready_channel.ts";
import { describeEnd, printable } from "./text.ts";
import { RESET_SIGNALS } from "./signals.ts";
import { describeCheck, type ReadyCheck, ReadyProbe } from "./ready_probe.ts";
import { type Command, CONTINUED, relaunchCommand, sameCommand } from "./relaunch.ts";

/**
 * Opens each stream file once, as the daemon will: a missing directory or a
 * permission problem is reported precisely, and the files exist afterwards.
 */
function checkStreams(options: ResolvedOptions): void {
  const libc = getLibc();
  const c = libc.constants;
  const streams: [string, string | undefined, number][] = [
    ["stdin", options.stdin, c.O_CLOEXEC],
    [
      "stdout",
      options.stdout,
      c.O_WRONLY | c.O_CREAT | c.O_APPEND | c.O_CLOEXEC,
    ],
    [
      "stderr",
      options.stderr,
      c.O_WRONLY | c.O_CREAT | c.O_APPEND | c.O_CLOEXEC,
    ],
  ];
  for (const [name, path, flags] of streams) {
    if (path === undefined) continue;
    attempt("streams", `cannot open ${name} ${path}`, () => {
      libc.close(libc.open(path, flags, 0o644));
    });
  }
}

/** The file actions that give the daemon its descriptors. */
export function streamActions(
  options: ResolvedOptions,
  readyWrite: number,
  reportWrite?: number,
): FileAction[] {
  const c = getLibc().constants;
  const append = c.O_WRONLY | c.O_CREAT | c.O_APPEND;
  const stdout = options.stdout ?? "/dev/null";
  const stderr = options.stderr ?? "/dev/null";
  const readyFd = readyDescriptor(options);
  const actions: FileAction[] = [
    { open: { fd: 0, path: options.stdin, flags: 0, mode: 0 } },
    { open: { fd: 1, path: stdout, flags: append, mode: 0o644 } },
    stderr === stdout
      ? { dup2: { from: 1, to: 2 } }
      : { open: { fd: 2, path: stderr, flags: append, mode: 0o644 } },
  ];
  // dup2 onto itself clears close-on-exec, which keeps a descriptor open.
  for (const fd of options.filesPreserve) {
    actions.push({ dup2: { from: fd, to: fd } });
  }
  actions.push({ dup2: { from: readyWrite, to: readyFd } });
  if (reportWrite !== undefined) actions.push({ dup2: { from: reportWrite, to: readyFd + 1 } });
  for (let fd = 3; fd < readyFd; fd++) {
    if (!options.filesPreserve.includes(fd)) actions.push({ close: fd });
  }
  actions.push({ closeFrom: readyFd + (reportWrite === undefined ? 1 : 2) });
  return actions;
}

/**
 * The program's bare name when the shell finds the same file by it (its
 * `PATH` holds absolute directories only), so that it keeps its name as
 * `argv[0]`; undefined otherwise.
 */
function bareName(direct: DirectStart): string | undefined {
  const name = direct.argv[0] ?? "";
  if (name.includes("/") || name === "") return undefined;
  const path = direct.env.find((e) => e.startsWith("PATH="))?.slice(5) ?? "";
  const dirs = path.split(":");
  if (dirs.some((d) => !d.startsWith("/"))) return undefined;
  const first = dirs.find((d) => getLibc().canExecute(`${d}/${name}`));
  return first !== undefined && `${first}/${name}` === direct.path ? name : undefined;
}

/**
 * Runs `spawn` with what the program inherits set as the daemon's: its
 * working directory, file-creation mask and core-dump limit (the starter's
 * own are restored after, but the core limit, which only lowers).
 */
function spawnWithSetUp(direct: DirectStart, spawn: () => number): number {
  const libc = getLibc();
  const here = cwd();
  if (direct.preventCore) {
    attempt("core-dump", "cannot turn core dumps off", () => {
      libc.setrlimit(libc.constants.RLIMIT_CORE, 0);
    });
  }
  attempt(
    "working-directory",
    `cannot change working directory to ${direct.workingDirectory}`,
    () => changeDirectory(direct.workingDirectory),
  );
  const mask = libc.umask(direct.umask);
  try {
    return spawn();
  } finally {
    libc.umask(mask);
    changeDirectory(here);
  }
}

/** Starts `command` in a new session with the daemon's descriptors. */
function spawnDetached(command: Command, actions: FileAction[]): number {
  const libc = getLibc();
  return attempt("spawn", `cannot start ${command.path}`, () =>
    libc.spawn({
      ...command,
      newSession: true,
      defaultSignals: RESET_SIGNALS.map((name) => libc.constants.signals[name]!),
      fileActions: actions,
    }));
}

/**
 * Starts this very command again in a session of its own, on the same
 * standard streams, without the token of the daemon it ran in; returns its
 * pid. For a command that must outlast the daemon it was run from (`stop`
 * or `restart` of its own daemon ends that daemon's whole session).
 */
export function continueOutside(): number {
  const command = sameCommand([`${TOKEN_VARIABLE}=`, CONTINUED]);
  const stdin = { open: { fd: 0, path: "/dev/null", flags: 0, mode: 0 } };
  return spawnDetached(command, [stdin, { closeFrom: 3 }]);
}

/**
 * `command` started by a shell in the background, so that it is not the
 * session leader. With `watch`, the shell stays to wait for it and writes
 * `EXIT <status>` on descriptor `readyFd + 1` if it ends (the starter kills
 * the shell once the program has proved itself). The shell keeps neither
 * descriptor from the program, nor the readiness pipe for itself, so each
 * pipe tells one thing.
 */
export function viaShell(command: Command, readyFd: number, watch: boolean): Command {
  const report = readyFd + 1;
  const script = watch
    ? `"$@" ${report}>&- & exec ${readyFd}>&-; wait $!; echo "EXIT $?" >&${report}`
    : '"$@" &';
  return {
    path: "/bin/sh",
    argv: ["sh", "-c", script, "sh", command.path, ...command.argv.slice(1)],
    env: command.env,
  };
}

/** What the starter knows of a program the daemon becomes. */
export interface ProgramStart {
  /** The program's name, for messages. */
  readonly name: string;
  /** Milliseconds it must stay up after it started. */
  readonly grace: number;
  /** Wait for `READY=1` on a `NOTIFY_SOCKET` instead of the grace period. */
  readonly notify?: boolean;
  /** A supervisor of ours stays as its parent, and reports on the readiness pipe. */
  readonly supervised?: boolean;
  /** Ready once this holds (a port listened on, a log line, a command), not after `grace`. */
  readonly ready?: ReadyCheck | undefined;
  /**
   * Start the program itself, without a second start of the runtime: for a
   * program that needs no set-up the starter can't give it (no user, group
   * or root directory to change to).
   */
  readonly direct?: DirectStart | undefined;
}

/** A program started by the starter itself (see {@link ProgramStart.direct}). */
export interface DirectStart {
  readonly path: string;
  readonly argv: readonly string[];
  /** Its environment, but the token its processes carry. */
  readonly env: readonly string[];
  readonly workingDirectory: string;
  readonly umask: number;
  readonly preventCore: boolean;
}

/**
 * `command` run by a shell that leads the new session and watches it: the
 * program is the shell's child (not a session leader, with SIGINT and SIGQUIT
 * at their defaults, unlike a background job), says its pid on the readiness
 * pipe before it executes, and its end is reported on the report pipe.
 */
function watchedDirectly(command: Command, readyFd: number): Command {
  const report = readyFd + 1;
  const inner = `echo "PID $$" >&${readyFd}; exec "$@" ${readyFd}>&- ${report}>&-`;
  const script = `trap '' TSTP TTIN TTOU; sh -c '${inner}' sh "$@"; echo "EXIT $?" >&${report}`;
  return {
    path: "/bin/sh",
    argv: ["sh", "-c", script, "sh", command.path, ...command.argv.slice(1)],
    env: command.env,
  };
}

/**
 * Starts the daemon and waits until it is ready; returns its pid.
 * @throws {DaemonError} naming the step that failed, in the starter or in
 * the daemon; nothing is left running and no pid file is left behind.
 */
export function launch(
  options: ResolvedOptions,
  program?: ProgramStart,
): number {
  const libc = getLibc();
  const pidFile = options.pidFile ? new PidFile(options.pidFile) : undefined;
  const running = pidFile?.running();
  if (running) {
    throw new DaemonError("pid-file", runningMessage(running), { code: "EWOULDBLOCK" });
  }
  checkStreams(options);
  const logs = logMarks(options);
  const readyFd = readyDescriptor(options);
  const opened: number[] = [];
  try {
    let notifyFd: number | undefined;
    const token = newToken();
    const extraEnv: string[] = [`${TOKEN_VARIABLE}=${token}`];
    if (program?.notify) {
      if (platform !== "linux") {
        throw new DaemonError("options", "--notify needs Linux (an abstract NOTIFY_SOCKET)");
      }
      const name = `daemonize-notify-${ownPid()}-${Math.random().toString(36).slice(2)}`;
      notifyFd = attempt(
        "spawn",
        "cannot create the notification socket",
        () => libc.notifySocket(name),
      );
      opened.push(notifyFd);
      extraEnv.push(`NOTIFY_SOCKET=@${name}`);
    }
    // The watching shell names descriptors by one digit only.
    const direct = options.singleDetach || readyFd + 1 > 9 ? undefined : program?.direct;
    const daemon = direct
      ? {
        // A shell can't set argv[0]: a bare name it finds in PATH keeps it.
        path: bareName(direct) ?? direct.path,
        argv: direct.argv,
        env: [
          ...direct.env.filter((e) => !e.startsWith("NOTIFY_SOCKET=")),
          // The token, and the notification socket of this start.
          ...extraEnv,
        ],
      }
      : relaunchCommand(readyFd, extraEnv);
    // In double mode a shell watching the program reports how it ended.
    const watch = !!direct || (!options.singleDetach && program !== undefined &&
      !program.supervised &&
      (program.grace > 0 || !!program.notify || program.ready !== undefined));
    const [readEnd, writeEnd] = attempt("spawn", "cannot create a pipe", () => libc.pipe());
    opened.push(readEnd, writeEnd);
    const [reportRead, reportWrite] = watch
      ? attempt("spawn", "cannot create a pipe", () => libc.pipe())
      : [undefined, undefined];
    if (reportRead !== undefined) opened.push(reportRead, reportWrite!);
    const command = direct
      ? watchedDirectly(daemon, readyFd)
      : options.singleDetach
      ? daemon
      : viaShell(daemon, readyFd, watch);
    const child = direct
      ? spawnWithSetUp(
        direct,
        () => spawnDetached(command, streamActions(options, writeEnd, reportWrite)),
      )
      : spawnDetached(command, streamActions(options, writeEnd, reportWrite));
    // Our copies of the write ends go now, so that each pipe ends with its writer.
    for (const fd of [writeEnd, reportWrite]) {
      if (fd === undefined) continue;
      libc.close(fd);
      opened.splice(opened.indexOf(fd), 1);
    }
    return awaitReady({
      fd: readEnd,
      reportFd: reportRead,
      notifyFd,
      child,
      options,
      pidFile,
      program,
      logs,
      token,
    });
  } finally {
    for (const fd of opened) libc.close(fd);
  }
}

/** Where each log file ended before the start, to show what the start added. */
function logMarks(options: ResolvedOptions): Map<string, number> {
  const marks = new Map<string, number>();
  for (const path of [options.stdout, options.stderr]) {
    if (path === undefined || marks.has(path)) continue;
    try {
      marks.set(path, getLibc().fileIdAt(path).size);
    } catch {
      marks.set(path, 0);
    }
  }
  return marks;
}

/** The last lines the start wrote to the logs, indented, or "". */
function logTail(marks: Map<string, number>): string {
  const lines: string[] = [];
  for (const [path, from] of marks) {
    try {
      const added = new TextDecoder().decode(getLibc().readFile(path).subarray(from)).trimEnd();
      if (added) {
        lines.push(
          ...added.split("\n").slice(-10).map((l) => `  ${path}: ${printable(l)}`),
        );
      }
    } catch {
      // Unreadable log: nothing to show.
    }
  }
  return lines.length ? "\n" + lines.join("\n") : "";
}

/** Waits up to `ms` for `pid` to be gone or a zombie (not our child: no waitpid). */
function waitGone(pid: number, ms: number): void {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && isRunning(pid)) sleepSync(1);
}

/** A shell reports death by signal N as status 128 + N. */
function shellStatus(code: number): ExitStatus {
  return code > 128 && code < 192 ? { signal: code - 128 } : { code };
}

interface Waiting {
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

function awaitReady(w: Waiting): number {
  const libc = getLibc();
  const { options, program, child } = w;
  const deadline = Date.now() + options.readyTimeout;
  let daemonPid: number | undefined;
  let failure: DaemonError | undefined;
  let ended: ExitStatus | undefined;
  let execedAt: number | undefined;
  let timedOut = false;
  let reaped = false;
  let programPid: number | undefined;
  let probe: ReadyProbe | undefined;
  const direct = !options.singleDetach && readyDescriptor(options) + 1 <= 9 &&
    program?.direct !== undefined;

  // Phase 1: the readiness pipe, until READY, a failure, or its end (the
  // daemon exited, or became the program: the pipe is close-on-exec).
  const pipe = new LineReader(w.fd);
  for (let open = true; open && !failure;) {
    const left = deadline - Date.now();
    if (left <= 0 || !libc.waitReadable(w.fd, left)) {
      timedOut = true;
      break;
    }
    const lines = pipe.read();
    if (!lines) break;
    for (const line of lines) {
      const message = parseMessage(line);
      if (message?.kind === "pid" && direct) {
        // Started by the starter itself: the program's pid, and it is
        // executing now; its pid file is ours to write.
        daemonPid = message.pid;
        execedAt = Date.now();
        open = false;
        try {
          w.pidFile?.acquire(selfIdentity(message.pid, w.token, true));
        } catch (error) {
          failure = asDaemonError("pid-file", "cannot write the pid file", error);
        }
      } else if (message?.kind === "pid") daemonPid = message.pid;
      else if (message?.kind === "exec") execedAt = Date.now();
      else if (message?.kind === "program") {
        // A supervisor started the program and keeps the pipe: judge it now.
        execedAt = Date.now();
        programPid = message.pid;
        open = false;
      } else if (message?.kind === "exit") ended ??= { code: message.code };
      else if (message?.kind === "error") failure ??= message.error;
      else if (message?.kind === "ready") {
        if (!options.singleDetach) libc.waitpid(child);
        return message.pid;
      }
    }
    open &&= !ended;
  }

  // Phase 2: the program runs; it must last its grace period, or say
  // READY=1 (with --notify), or pass its readiness check, before the ready
  // timeout. A supervisor reports its end on the readiness pipe; a watching
  // shell on its own pipe.
  if (execedAt !== undefined && daemonPid !== undefined && !failure && !ended && !timedOut) {
    try {
      const waitsForSign = !!program?.notify || program?.ready !== undefined;
      // The ready timeout bounds the whole start, a longer grace period too.
      const windowEnd = waitsForSign
        ? deadline
        : Math.min(deadline, execedAt + (program?.grace ?? 0));
      const report = program?.supervised
        ? pipe
        : w.reportFd === undefined
        ? undefined
        : new LineReader(w.reportFd);
      if (program?.ready) probe = new ReadyProbe(program.ready, w.logs);
      const sid = readStat(programPid ?? daemonPid)?.sid;
      const daemonPids = () =>
        sid === undefined ? [] : allStats().filter((s) => s.sid === sid).map((s) => s.pid);
      let proven = false;
      let nextProbe = 0;
      while (!proven && !ended && !failure) {
        if (options.singleDetach) {
          ended = libc.waitpid(child, true);
          if (ended) {
            reaped = true;
            break;
          }
        }
        if (probe && Date.now() >= nextProbe) {
          try {
            proven = probe.poll(daemonPids);
          } catch (error) {
            failure = asDaemonError("ready", `cannot check ${describeCheck(probe.check)}`, error);
            break;
          }
          if (proven) break;
          nextProbe = Date.now() + PROBE_EVERY;
        }
        const left = windowEnd - Date.now();
        if (left <= 0) {
          if (waitsForSign || Date.now() >= deadline) timedOut = true;
          else proven = true;
          break;
        }
        const fds = [report?.fd, w.notifyFd].filter((fd): fd is number => fd !== undefined);
        const wait = Math.min(left, options.singleDetach ? 5 : left, probe ? PROBE_EVERY : left);
        const ready = fds.length ? libc.poll(fds, wait) : [];
        if (!fds.length) sleepSync(Math.min(5, wait));
        if (w.notifyFd !== undefined && ready.includes(w.notifyFd)) {
          proven = /^READY=1$/m.test(libc.receive(w.notifyFd) ?? "");
        }
        if (report && ready.includes(report.fd)) {
          const lines = report.read();
          // The supervisor is gone without a word: it was killed.
          if (!lines) ended ??= { signal: libc.constants.signals.SIGKILL! };
          for (const line of lines ?? []) {
            const message = parseMessage(line);
            if (message?.kind === "exit") {
              // A supervisor reports exit codes as they are; a shell, signals as 128 + N.
              ended ??= program?.supervised ? { code: message.code } : shellStatus(message.code);
            } else if (message?.kind === "killed") ended ??= { signal: message.signal };
            else if (message?.kind === "error") failure ??= message.error;
          }
        }
      }
      probe?.close();
      if (proven) {
        if (!options.singleDetach) {
          if (w.reportFd !== undefined) libc.kill(child, libc.constants.signals.SIGKILL!);
          libc.waitpid(child);
        }
        return daemonPid;
      }
    } catch (error) {
      // Watching failed: what was started is stopped below, never left.
      probe?.close();
      failure ??= asDaemonError("ready", "cannot watch the program start", error);
    }
  }

  if (timedOut) {
    // Stop what we started: the process group of our child (the shell, and
    // the daemon even before it said its pid; the unreaped child keeps the
    // number from reuse), and the daemon, proven ours by the session our
    // child leads. Then let the pipe drain.
    const kill = libc.constants.signals.SIGKILL!;
    try {
      libc.kill(-child, kill);
    } catch { /* already gone */ }
    for (const daemon of daemonPid === undefined ? [] : leftBehind(child, w.token, daemonPid)) {
      daemon.signal(kill);
      daemon.close();
    }
    libc.waitReadable(w.fd, 2000);
  }
  // The pipe ends as the daemon's exit closes it: wait for the rest of the exit.
  if (daemonPid !== undefined) waitGone(daemonPid, 2000);
  // What the failed start left running: the session's processes (the child
  // we started leads it, and is not reaped yet) and whatever carries the token.
  const left = leftBehind(child, w.token);
  const leftPids = left.map((m) => m.pid);
  stopAll(left);
  const status = reaped ? undefined : libc.waitpid(child);
  w.pidFile?.removeIfStale();
  if (failure) throw failure;
  if (timedOut) {
    const what = program?.notify
      ? `${program.name} did not send READY=1`
      : program?.ready
      ? `${program.name} was not ${describeCheck(program.ready)}`
      : "daemon not ready";
    throw new DaemonError("ready", `${what} within ${options.readyTimeout} ms; it was killed`);
  }
  if (program && ended && "code" in ended && ended.code === 0 && leftPids.length > 0) {
    const n = leftPids.length;
    throw new DaemonError(
      "startup",
      `${program.name} put itself in the background: it exited with status 0 within ${program.grace} ms of starting, leaving pid ${
        leftPids.slice(0, 5).join(", ")
      } running (now stopped${
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
      : `within ${program.grace} ms of starting`;
    throw new DaemonError(
      "startup",
      `${program.name} ${describeEnd(ended)} ${when}` + logTail(w.logs),
    );
  }
  if (!ended && status && !("code" in status && status.code === 0)) ended = status;
  if (ended) {
    throw new DaemonError(
      "startup",
      `daemon ${describeEnd(ended)} before it was ready` + logTail(w.logs),
    );
  }
  throw new DaemonError(
    "startup",
    "daemon ended before it was ready: it closed the readiness pipe without a word",
  );
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
