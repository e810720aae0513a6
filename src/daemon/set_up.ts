/**
 * The daemon's set-up as one table of named steps; each set-up a start
 * runs is a selection of it, always run in the table's order:
 *
 * 1. `pid-file`: record the daemon's identity and pid, unless a daemon
 *    recorded there still runs (as the starting user, before any chroot, so
 *    a root-owned run directory works);
 * 2. `user`/`group`: look the owner up (before the chroot hides the
 *    user database);
 * 3. `core-dump`: core dumps off;
 * 4. `chroot`: change the root directory;
 * 5. `working-directory`: change the working directory;
 * 6. `umask`: set the file-creation mask;
 * 7. `user`/`group`: drop to the owner, irreversibly;
 * 8. `signals`: install the signal map.
 *
 * Detaching itself (new session, standard streams, closing inherited
 * descriptors) happened before the daemon's first instruction, in the way
 * the starter started it.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { attempt, type Step } from "../errors.ts";
import { followChdir, removeFile } from "../host.ts";
import type { ResolvedOptions, SignalAction } from "../options.ts";
import { selfIdentity } from "../process/identity.ts";
import type { PidFile } from "../process/pid_file.ts";
import { recordPath } from "../supervisor/record.ts";
import { OwnerChange } from "./privileges.ts";
import { installSignals } from "./signals.ts";

/** What the `pid-file` step records. */
export interface DaemonRecord {
  /** The pid file, if the daemon has one (none: the step does nothing). */
  readonly file: PidFile | undefined;
  /** The daemon's main process. */
  readonly pid: number;
  /** The token its processes carry. */
  readonly token: string;
  /** Whether its start made the session it runs in. */
  readonly ownSession: boolean;
  /** The signals a JS daemon handles (none for a program it becomes: it sets up its own). */
  readonly handles: readonly number[] | undefined;
}

/** What the `signals` step installs. */
export interface SignalSetUp {
  readonly map: ReadonlyMap<number, SignalAction>;
  /** What `"terminate"` does. */
  readonly terminate: () => void;
}

/** One step: the name its failure carries, and what it does with its own value. */
interface SetUpStep<V, R = void> {
  readonly step: Step;
  readonly run: (value: V) => R;
}

/** The steps, in the order every set-up runs them. */
const STEPS = {
  "pid-file": { step: "pid-file", run: recordDaemon } satisfies SetUpStep<DaemonRecord>,
  "look-up-owner": {
    step: "user",
    run: (owner: OwnerChange) => owner.lookUp(),
  } satisfies SetUpStep<OwnerChange>,
  "core-dump": { step: "core-dump", run: preventCoreDump } satisfies SetUpStep<boolean>,
  "chroot": { step: "chroot", run: changeRoot } satisfies SetUpStep<string | undefined>,
  "working-directory": {
    step: "working-directory",
    run: changeWorkingDirectory,
  } satisfies SetUpStep<string>,
  // Gives back the mask it replaced: the starter restores its own.
  "umask": {
    step: "umask",
    run: (mask: number) => getLibc().umask(mask),
  } satisfies SetUpStep<number, number>,
  "change-owner": {
    step: "user",
    run: (owner: OwnerChange) => owner.make(),
  } satisfies SetUpStep<OwnerChange>,
  "signals": {
    step: "signals",
    run: ({ map, terminate }: SignalSetUp) => installSignals(map, terminate),
  } satisfies SetUpStep<SignalSetUp>,
};

/** A step of the table, by name. */
export type StepName = keyof typeof STEPS;

/** Each step's value. */
export type SetUpValues = { [N in StepName]: Parameters<(typeof STEPS)[N]["run"]>[0] };

/** What each step gives back. */
export type SetUpResults = { [N in StepName]: ReturnType<(typeof STEPS)[N]["run"]> };

/** A daemon's, JS or a program it becomes: every step. */
export const DAEMON_SET_UP = [
  "pid-file",
  "look-up-owner",
  "core-dump",
  "chroot",
  "working-directory",
  "umask",
  "change-owner",
  "signals",
] as const;

/** A supervisor's: the signals are its own (it passes them on to its program). */
export const SUPERVISOR_SET_UP = [
  "pid-file",
  "look-up-owner",
  "core-dump",
  "chroot",
  "working-directory",
  "umask",
  "change-owner",
] as const;

/**
 * A supervisor's that keeps its privileges and its root (to remove the pid
 * file and rotate logs): its program's own stage does the rest.
 */
export const PRIVILEGED_SUPERVISOR_SET_UP = [
  "pid-file",
  "look-up-owner",
  "core-dump",
  "umask",
] as const;

/** A program's own stage under a privileged supervisor: what the supervisor left. */
export const PROGRAM_STAGE_SET_UP = [
  "look-up-owner",
  "chroot",
  "working-directory",
  "umask",
  "change-owner",
] as const;

/**
 * The starter's, for a program it starts itself: what the program inherits
 * (the starter restores its own directory and mask after the spawn).
 */
export const DIRECT_LAUNCH_SET_UP = ["core-dump", "working-directory", "umask"] as const;

/**
 * Runs the steps `names` selects, in the table's order, each with its value.
 * Returns what they gave back.
 * @throws {DaemonError} naming the step that failed.
 */
export function runSetUp<N extends StepName>(
  names: readonly N[],
  values: Pick<SetUpValues, N>,
): Pick<SetUpResults, N> {
  const results = {} as Record<StepName, unknown>;
  for (const name of Object.keys(STEPS) as StepName[]) {
    if (!(names as readonly StepName[]).includes(name)) continue;
    const { step, run } = STEPS[name] as SetUpStep<unknown, unknown>;
    const value = (values as Record<StepName, unknown>)[name];
    results[name] = attempt(step, `${step} failed`, () => run(value));
  }
  return results as Pick<SetUpResults, N>;
}

/**
 * Every step's value for a daemon set up with `options`: what it records in
 * its pid file is `record`, and what `"terminate"` does, `terminate`.
 */
export function daemonValues(
  options: ResolvedOptions,
  record: DaemonRecord,
  terminate: () => void,
): SetUpValues {
  const owner = new OwnerChange(options.user, options.group, options.initgroups);
  return {
    "pid-file": record,
    "look-up-owner": owner,
    "core-dump": options.preventCore,
    "chroot": options.chrootDirectory,
    "working-directory": options.workingDirectory,
    "umask": options.umask,
    "change-owner": owner,
    "signals": { map: options.signals, terminate },
  };
}

function recordDaemon(record: DaemonRecord): void {
  const { file, handles } = record;
  if (!file) return;
  file.acquire({
    ...selfIdentity(record.pid, record.token, record.ownSession),
    ...(handles ? { handles } : {}),
  });
  // What a supervisor of an earlier start said (it failed) is past.
  removeFile(recordPath(file.path));
}

function preventCoreDump(prevent: boolean): void {
  if (!prevent) return;
  const libc = getLibc();
  attempt("core-dump", "cannot turn core dumps off", () => {
    libc.setrlimit(libc.constants.RLIMIT_CORE, 0);
  });
}

function changeRoot(jail: string | undefined): void {
  if (!jail) return;
  const libc = getLibc();
  attempt("chroot", `cannot change root directory to ${jail}`, () => {
    libc.chroot(jail);
    libc.chdir("/");
    followChdir("/");
  });
}

function changeWorkingDirectory(directory: string): void {
  attempt(
    "working-directory",
    `cannot change working directory to ${directory}`,
    () => {
      getLibc().chdir(directory);
      followChdir(directory);
    },
  );
}
