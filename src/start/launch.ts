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
import { type FileAction, getLibc } from "../../ffi/libc.ts";
import { attempt, DaemonError } from "../errors.ts";
import { changeDirectory, cwd, pid as ownPid, platform } from "../host.ts";
import type { ResolvedOptions } from "../options.ts";
import { newToken, TOKEN_VARIABLE } from "../process/identity.ts";
import { findOrphan } from "../supervisor/orphan.ts";
import { PidFile, runningMessage } from "../process/pid_file.ts";
import { RESET_SIGNALS } from "../daemon/signals.ts";
import { DIRECT_LAUNCH_SET_UP, runSetUp } from "../daemon/set_up.ts";
import { passedDescriptors } from "../daemon/socket_activation.ts";
import { awaitReady } from "./await_ready.ts";
import { type Command, CONTINUED, relaunchCommand, sameCommand } from "./relaunch.ts";
import { type DirectStart, planStart, type ProgramStart, startActions } from "./plan.ts";

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
  const here = cwd();
  const replaced = runSetUp(DIRECT_LAUNCH_SET_UP, {
    "core-dump": direct.preventCore,
    "working-directory": direct.workingDirectory,
    "umask": direct.umask,
  });
  try {
    return spawn();
  } finally {
    getLibc().umask(replaced.umask);
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
  const unsafe = pidFile?.unsafe();
  if (unsafe) throw new DaemonError("pid-file", `refusing pid file ${pidFile!.path}: ${unsafe}`);
  const running = pidFile?.running();
  // A supervised program whose supervisor was killed is taken over, not started twice.
  const orphanToken = running && !running.main && program?.supervised
    ? pidFile!.identity()?.token
    : undefined;
  const adopting = orphanToken !== undefined && findOrphan(pidFile!.path, orphanToken);
  if (running && !adopting) {
    throw new DaemonError("pid-file", runningMessage(running), { code: "EWOULDBLOCK" });
  }
  checkStreams(options);
  const logs = logMarks(options);
  const opened: number[] = [];
  try {
    const token = adopting ? orphanToken : newToken();
    const notify = program?.notify ? notificationSocket() : undefined;
    if (notify) opened.push(notify.fd);
    // The token, and the notification socket of this start.
    const extraEnv = [`${TOKEN_VARIABLE}=${token}`, ...(notify ? [notify.variable] : [])];
    // A shell can't set argv[0]: a bare name it finds in PATH keeps it.
    const direct = program?.direct &&
      { ...program.direct, path: bareName(program.direct) ?? program.direct.path };
    const plan = planStart({
      options,
      program: program && { ...program, direct },
      extraEnv,
      relaunch: relaunchCommand,
      listen: passedDescriptors(),
    });
    const [readEnd, writeEnd] = attempt("spawn", "cannot create a pipe", () => libc.pipe());
    opened.push(readEnd, writeEnd);
    const [reportRead, reportWrite] = plan.watch
      ? attempt("spawn", "cannot create a pipe", () => libc.pipe())
      : [undefined, undefined];
    if (reportRead !== undefined) opened.push(reportRead, reportWrite!);
    const actions = startActions(options, libc.constants, writeEnd, reportWrite);
    const child = plan.detach === "direct"
      ? spawnWithSetUp(direct!, () => spawnDetached(plan.command, actions))
      : spawnDetached(plan.command, actions);
    // Our copies of the write ends go now, so that each pipe ends with its writer.
    for (const fd of [writeEnd, reportWrite]) {
      if (fd === undefined) continue;
      libc.close(fd);
      opened.splice(opened.indexOf(fd), 1);
    }
    return awaitReady({
      plan,
      fd: readEnd,
      reportFd: reportRead,
      notifyFd: notify?.fd,
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

/** A datagram socket a `--notify` program sends `READY=1` to, and its variable. */
function notificationSocket(): { fd: number; variable: string } {
  if (platform !== "linux") {
    throw new DaemonError("options", "--notify needs Linux (an abstract NOTIFY_SOCKET)");
  }
  const name = `daemonize-notify-${ownPid()}-${Math.random().toString(36).slice(2)}`;
  const fd = attempt(
    "spawn",
    "cannot create the notification socket",
    () => getLibc().notifySocket(name),
  );
  return { fd, variable: `NOTIFY_SOCKET=@${name}` };
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
