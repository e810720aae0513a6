/**
 * The plan of a start, made by the starter before anything runs: how the
 * daemon is detached, the command started in its new session, the
 * descriptors it gets, and how the starter judges that it is ready. Pure:
 * it starts nothing and reads nothing, so each rule is tested on its own.
 *
 * @module
 */
import type { FileAction } from "../../ffi/libc.ts";
import type { PlatformConstants } from "../../ffi/platform.ts";
import { DEFAULTS } from "../defaults.ts";
import type { ResolvedOptions } from "../options.ts";
import { readyDescriptor } from "./ready_channel.ts";
import type { ReadyCheck } from "./ready_probe.ts";
import type { Command } from "./relaunch.ts";
import { LISTEN_MARKER } from "../daemon/socket_activation.ts";

/** What the starter knows of a program the daemon becomes. */
export interface ProgramStart {
  /** The program's name, for messages. */
  readonly name: string;
  /**
   * Milliseconds it must stay up after it started; undefined: until it has
   * settled (idle, waiting), at least `DEFAULTS.settleMinimum`, at most
   * `settleLimit`.
   */
  readonly grace?: number | undefined;
  /** Without `grace`: the longest the start waits for it to settle (ms). */
  readonly settleLimit?: number | undefined;
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
  /** What the shell executes: the path, or the bare name the shell finds it by. */
  readonly path: string;
  readonly argv: readonly string[];
  /** Its environment, but the token its processes carry. */
  readonly env: readonly string[];
  readonly workingDirectory: string;
  readonly umask: number;
  readonly preventCore: boolean;
}

/**
 * How the daemon leaves the starter:
 * - `"direct"`: the starter starts the program under a shell that leads the
 *   new session (one start of the runtime in all);
 * - `"double"`: this program started again behind a shell that leads the
 *   new session and leaves (the daemon is not a session leader);
 * - `"single"`: this program started again as the session leader.
 */
export type Detach = "direct" | "double" | "single";

/** What makes the start a success. */
export type Judge =
  | { readonly kind: "daemon" }
  | { readonly kind: "grace"; readonly ms: number }
  /** Up at least `minimum` ms and settled (idle, waiting), or up `limit` ms. */
  | { readonly kind: "settle"; readonly minimum: number; readonly limit: number }
  | { readonly kind: "notify" }
  | { readonly kind: "check"; readonly check: ReadyCheck };

/** Who tells the starter that the program ended during the start. */
export type EndReport = "shell" | "supervisor" | "child" | "none";

/** The plan of one start. */
export interface StartPlan {
  readonly detach: Detach;
  /** Started in a new session, with {@link startActions}. */
  readonly command: Command;
  /** The daemon's end of the readiness pipe. */
  readonly readyFd: number;
  /** A shell stays to report the program's end, on `readyFd + 1`. */
  readonly watch: boolean;
  /** Ready by the daemon's own word, or the program's grace, settling, sign or check. */
  readonly judge: Judge;
  /** Where the program's end during the start is heard from. */
  readonly endReport: EndReport;
}

/** What {@link planStart} needs. */
export interface PlanInput {
  readonly options: ResolvedOptions;
  readonly program?: ProgramStart | undefined;
  /** Variables of this start (its token, a notification socket). */
  readonly extraEnv: readonly string[];
  /** This program's command to start again, with its markers (read only when needed). */
  readonly relaunch: (readyFd: number, extraEnv: readonly string[]) => Command;
  /** How many sockets socket activation passed to this process (on 3, 4, …). */
  readonly listen?: number;
}

/** Plans a start: how it detaches, what it runs, and how it is judged. */
export function planStart(input: PlanInput): StartPlan {
  const { options, program, extraEnv } = input;
  const readyFd = readyDescriptor(options);
  // The watching shell names descriptors by one digit only.
  const direct = options.singleDetach || readyFd + 1 > 9 ? undefined : program?.direct;
  const detach: Detach = direct ? "direct" : options.singleDetach ? "single" : "double";
  const judge: Judge = !program
    ? { kind: "daemon" }
    : program.notify
    ? { kind: "notify" }
    : program.ready
    ? { kind: "check", check: program.ready }
    : program.grace !== undefined
    ? { kind: "grace", ms: program.grace }
    : {
      kind: "settle",
      minimum: DEFAULTS.settleMinimum,
      limit: program.settleLimit ?? DEFAULTS.settleLimit,
    };
  // In double mode a shell watching the program reports how it ended.
  const watch = !!direct ||
    (detach === "double" && program !== undefined && !program.supervised &&
      (judge.kind !== "grace" || judge.ms > 0));
  const endReport: EndReport = program?.supervised
    ? "supervisor"
    : detach === "single"
    ? "child"
    : watch
    ? "shell"
    : "none";
  if (direct) {
    const env = [
      ...direct.env.filter((e) => !e.startsWith("NOTIFY_SOCKET=")),
      ...extraEnv,
    ];
    return {
      detach,
      command: watchedDirectly(
        { path: direct.path, argv: direct.argv, env },
        readyFd,
        (input.listen ?? 0) > 0,
      ),
      readyFd,
      watch,
      judge,
      endReport,
    };
  }
  // Started again, the daemon takes the passed sockets for its own.
  const again = input.relaunch(
    readyFd,
    input.listen ? [...extraEnv, `${LISTEN_MARKER}=${input.listen}`] : extraEnv,
  );
  return {
    detach,
    command: detach === "single" ? again : viaShell(again, readyFd, watch),
    readyFd,
    watch,
    judge,
    endReport,
  };
}

/**
 * The file actions that give the daemon its descriptors: its standard
 * streams, the preserved descriptors, the readiness pipe on `readyFd` (and
 * the shell's report pipe on the next), and nothing else.
 */
export function startActions(
  options: ResolvedOptions,
  constants: Pick<PlatformConstants, "O_WRONLY" | "O_CREAT" | "O_APPEND">,
  readyWrite: number,
  reportWrite?: number,
): FileAction[] {
  const append = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND;
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

/**
 * `command` run by a shell that leads the new session and watches it: the
 * program is the shell's child (not a session leader, with SIGINT and SIGQUIT
 * at their defaults, unlike a background job), says its pid on the readiness
 * pipe before it executes, and its end is reported on the report pipe.
 */
export function watchedDirectly(command: Command, readyFd: number, listen = false): Command {
  const report = readyFd + 1;
  // Passed sockets name the program's pid, which is this shell's until it executes.
  const own = listen ? "LISTEN_PID=$$; export LISTEN_PID; " : "";
  const inner = `${own}echo "PID $$" >&${readyFd}; exec "$@" ${readyFd}>&- ${report}>&-`;
  const script = `trap '' TSTP TTIN TTOU; sh -c '${inner}' sh "$@"; echo "EXIT $?" >&${report}`;
  return {
    path: "/bin/sh",
    argv: ["sh", "-c", script, "sh", command.path, ...command.argv.slice(1)],
    env: command.env,
  };
}
