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
import { attempt, DaemonError } from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";
import { PidFile, sleepSync } from "./pid_file.ts";
import { parseMessage } from "./ready_channel.ts";
import { type Command, relaunchCommand } from "./relaunch.ts";

/** Signals reset to their default action in the daemon. */
const RESET_SIGNALS = [
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGUSR1",
  "SIGUSR2",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
  "SIGCHLD",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGXFSZ",
];

/** The name of signal `number`, such as `SIGKILL`. */
export function signalName(number: number): string {
  for (const [name, value] of Object.entries(getLibc().constants.signals)) {
    if (value === number) return name;
  }
  return `signal ${number}`;
}

/** The descriptor the daemon reports on: above every preserved one. */
export function readyDescriptor(options: ResolvedOptions): number {
  return Math.max(3, ...options.filesPreserve.map((fd) => fd + 1));
}

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
  for (let fd = 3; fd < readyFd; fd++) {
    if (!options.filesPreserve.includes(fd)) actions.push({ close: fd });
  }
  actions.push({ closeFrom: readyFd + 1 });
  return actions;
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
 * `command` started by a shell in the background, so that it is not the
 * session leader. With `reportFd`, the shell stays to wait for it and writes
 * `EXIT <status>` there if it ends (the starter kills the shell once it has
 * seen enough).
 */
export function viaShell(command: Command, reportFd?: number): Command {
  const script = reportFd === undefined ? '"$@" &' : `"$@" & wait $!; echo "EXIT $?" >&${reportFd}`;
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
  /** Whether a shell watches it (double detach with a grace period). */
  readonly watch?: boolean;
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
  const running = pidFile?.holder();
  if (running !== undefined) {
    throw new DaemonError("pid-file", `already running (pid ${running})`, {
      code: "EWOULDBLOCK",
    });
  }
  checkStreams(options);
  const logs = logMarks(options);
  const readyFd = readyDescriptor(options);
  const daemon = relaunchCommand(readyFd);
  // In double mode with a grace period the shell also watches the program.
  const watch = !options.singleDetach && program !== undefined && program.grace > 0;
  const command = options.singleDetach ? daemon : viaShell(daemon, watch ? readyFd : undefined);
  const [readEnd, writeEnd] = attempt(
    "spawn",
    "cannot create the readiness pipe",
    () => libc.pipe(),
  );
  let child: number;
  try {
    child = spawnDetached(command, streamActions(options, writeEnd));
  } finally {
    libc.close(writeEnd);
  }
  try {
    return awaitReady(readEnd, child, options, pidFile, program && { ...program, watch }, logs);
  } finally {
    libc.close(readEnd);
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
          ...added.split("\n").slice(-10).map((l) => `  ${path}: ${l}`),
        );
      }
    } catch {
      // Unreadable log: nothing to show.
    }
  }
  return lines.length ? "\n" + lines.join("\n") : "";
}

/** A shell reports death by signal N as status 128 + N. */
function shellStatus(code: number, fromShell: boolean | undefined): ExitStatus {
  return fromShell && code > 128 && code < 192 ? { signal: code - 128 } : { code };
}

/** Describes how a program or daemon ended. */
export function describeEnd(status: ExitStatus): string {
  return "code" in status
    ? `exited with status ${status.code}`
    : `was killed by ${signalName(status.signal)}`;
}

/** Polls a child for `ms`; returns how it ended, or undefined if it runs. */
export function watchChild(pid: number, ms: number): ExitStatus | undefined {
  const libc = getLibc();
  const deadline = Date.now() + ms;
  for (;;) {
    const status = libc.waitpid(pid, true);
    if (status) return status;
    if (Date.now() >= deadline) return undefined;
    sleepSync(Math.min(5, deadline - Date.now()));
  }
}

function awaitReady(
  fd: number,
  child: number,
  options: ResolvedOptions,
  pidFile: PidFile | undefined,
  program: (ProgramStart & { watch: boolean }) | undefined,
  logs: Map<string, number>,
): number {
  const libc = getLibc();
  const deadline = Date.now() + options.readyTimeout;
  const buffer = new Uint8Array(4096);
  const decoder = new TextDecoder();
  let pending = "";
  let daemonPid: number | undefined;
  let failure: DaemonError | undefined;
  let ended: ExitStatus | undefined;
  let execedAt: number | undefined;
  let timedOut = false;
  let reaped = false;
  for (;;) {
    // Once the program runs, a watching shell only speaks if it ends.
    const watching = program?.watch && execedAt !== undefined;
    const limit = watching ? Math.min(deadline, execedAt! + program!.grace) : deadline;
    const left = limit - Date.now();
    if (left <= 0 || !libc.waitReadable(fd, left)) {
      if (watching && !ended && !failure && Date.now() < deadline) {
        libc.kill(child, libc.constants.signals.SIGKILL!);
        libc.waitpid(child);
        return daemonPid!;
      }
      timedOut = !ended && !failure;
      break;
    }
    const n = libc.read(fd, buffer);
    if (n === 0) break;
    pending += decoder.decode(buffer.subarray(0, n), { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const message = parseMessage(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      if (!message) continue;
      if (message.kind === "pid") daemonPid = message.pid;
      else if (message.kind === "exec") execedAt = Date.now();
      else if (message.kind === "exit") ended ??= shellStatus(message.code, program?.watch);
      else if (message.kind === "error") failure ??= message.error;
      else {
        if (!options.singleDetach) libc.waitpid(child);
        return message.pid;
      }
    }
  }
  if (execedAt !== undefined && !failure && !ended && !timedOut && daemonPid !== undefined) {
    // The program runs. In single mode it is our child: watch it here.
    if (!options.singleDetach) {
      libc.waitpid(child);
      return daemonPid;
    }
    ended = watchChild(child, program?.grace ?? 0);
    if (!ended) return daemonPid;
    reaped = true;
  }
  if (timedOut) {
    // Stop whatever is still holding our pipe, then wait for it to let go.
    for (const pid of [daemonPid, child]) {
      if (pid !== undefined) {
        try {
          libc.kill(pid, libc.constants.signals.SIGKILL!);
        } catch { /* already gone */ }
      }
    }
    libc.waitReadable(fd, 2000);
  }
  const status = reaped ? undefined : libc.waitpid(child);
  pidFile?.removeIfStale();
  if (failure) throw failure;
  if (timedOut) {
    throw new DaemonError(
      "ready",
      `daemon not ready within ${options.readyTimeout} ms; it was killed`,
    );
  }
  if (program && ended) {
    throw new DaemonError(
      "startup",
      `${program.name} ${describeEnd(ended)} within ${program.grace} ms of starting` +
        logTail(logs),
    );
  }
  if (!ended && status && !("code" in status && status.code === 0)) {
    ended = status;
  }
  if (ended) {
    throw new DaemonError(
      "startup",
      `daemon ${describeEnd(ended)} before it was ready`,
    );
  }
  throw new DaemonError(
    "startup",
    "daemon ended before it was ready: it closed the readiness pipe without a word",
  );
}
