/**
 * A supervisor in a process image of its own. A daemon's set-up loads the
 * whole library (and, for the command, its command-line parser); once it is
 * set up, its supervisor needs a fraction of that code, and a JS runtime
 * never unloads a module. So the set-up executes the runtime again, in the
 * same process (same pid and start time: the identity recorded in the pid
 * file stays true), on `supervisor/main.ts`, which loads the supervisor
 * alone, and hands over its program, the supervision settings, the pid
 * file it holds and the starter's channel.
 *
 * It does so only where the runtime can be told to run that file: the
 * library is a local file and the runtime's command line names the main
 * module (not a compiled program, not a module from the network). Anywhere
 * else, or when the exec fails, the supervisor runs where it is.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { changeDirectory, cwd, isDeno, mainModule } from "../host.ts";
import { resolvePath } from "../paths.ts";
import { handOverPidFile, type HeldPidFile, keepPidFile } from "../process/pid_file.ts";
import { type Command, sameCommand } from "../start/relaunch.ts";
import { passedDescriptors } from "../daemon/socket_activation.ts";
import { holdForwardedSignals } from "../daemon/signals.ts";
import type { SupervisedProgram, Supervision, SupervisorPlan } from "./plan.ts";
import type { Orphan } from "./orphan.ts";
import { PLAN_VARIABLE } from "./record.ts";

/** What crosses the exec, as JSON in `PLAN_VARIABLE`. */
export interface HandedPlan {
  readonly program: SupervisedProgram;
  readonly supervision: Supervision;
  readonly pidFile?: HeldPidFile | undefined;
  /** The starter's channel, if it still listens. */
  readonly channel?: number | undefined;
  readonly ownSession?: boolean | undefined;
  /** The supervisor's working directory. */
  readonly cwd: string;
  readonly adopt?: Orphan | undefined;
}

/**
 * The largest plan handed over, in bytes: one environment string may not
 * pass 128 KiB (`MAX_ARG_STRLEN`); a plan that big (a huge environment)
 * stays here.
 */
const MAX_PLAN = 120 * 1024;

/** The supervisor's own image: the file beside this one. */
const ENTRY = new URL("./main.ts", import.meta.url);

/**
 * Executes the supervisor's own image with `plan`. Returns only when it
 * can't (see the module's notes); nothing was changed then.
 * @param startedIn the directory the runtime was started in, where the
 * relative paths of its command line (the main module, `--config`) resolve
 */
export function handOff(plan: SupervisorPlan, startedIn: string): void {
  const command = leanCommand(startedIn, plan.supervision);
  if (!command || passedDescriptors() > 0) return;
  const pidFile = plan.pidFile && handOverPidFile(plan.pidFile);
  if (plan.pidFile && !pidFile) return;
  const handed: HandedPlan = {
    program: plan.program,
    supervision: plan.supervision,
    pidFile,
    channel: plan.channel?.handOver(),
    ownSession: plan.ownSession,
    cwd: cwd(),
    adopt: plan.adopt,
  };
  // JSON has no Infinity (an unlimited count or window): the largest number does the same.
  const json = JSON.stringify(handed, (_, value) => value === Infinity ? Number.MAX_VALUE : value);
  const here = handed.cwd;
  try {
    if (new TextEncoder().encode(json).length <= MAX_PLAN) {
      changeDirectory(startedIn);
      // Until the new image handles them, the signals it passes on wait.
      holdForwardedSignals(true);
      getLibc().execve(command.path, command.argv, [
        ...command.env,
        `${PLAN_VARIABLE}=${json}`,
        ...quietCollector(command.env),
      ]);
    }
  } catch {
    // Not executed: supervised from here.
  }
  try {
    holdForwardedSignals(false);
  } catch {
    // Not held.
  }
  try {
    changeDirectory(here);
  } catch {
    // Where the set-up left it, as without the exec.
  }
  if (plan.pidFile) keepPidFile(plan.pidFile);
  plan.channel?.keepHeld();
}

/**
 * Bun's collector timer looks at the process's memory every second: idle,
 * a supervisor allocates next to nothing, and without the timer it sleeps
 * (its collector still runs as it allocates). Unless set otherwise.
 */
function quietCollector(env: readonly string[]): string[] {
  const name = "BUN_GC_TIMER_DISABLE";
  return isDeno || env.some((e) => e.startsWith(`${name}=`)) ? [] : [`${name}=1`];
}

/**
 * The command that runs this compiled program again: it holds the
 * supervisor's image too (`cli.ts` runs it when handed a plan). Only for a
 * watch: its supervisor must sleep while idle (`quietCollector`), which is
 * worth a second start of the program (about 50 ms of the start's wait);
 * any other supervisor stays where it is.
 */
function compiledCommand(supervision: Supervision): Command | undefined {
  if (!decodeURIComponent(ENTRY.pathname).startsWith("/$bunfs/")) return undefined;
  if (!supervision.watch) return undefined;
  try {
    return sameCommand();
  } catch {
    return undefined;
  }
}

/** The runtime's command line with the supervisor's image in place of the main module. */
function leanCommand(startedIn: string, supervision: Supervision): Command | undefined {
  if (ENTRY.protocol !== "file:") return undefined;
  const entry = decodeURIComponent(ENTRY.pathname);
  try {
    // A compiled program's modules are not files.
    getLibc().fileIdAt(entry);
  } catch {
    return compiledCommand(supervision);
  }
  const main = mainModule();
  const mainPath = main.startsWith("file:") ? decodeURIComponent(new URL(main).pathname) : main;
  let command: Command;
  try {
    command = sameCommand();
  } catch {
    return undefined;
  }
  // The words before the main module are the runtime and its flags. The
  // runtime may name it by its real path (Bun), the command line not.
  const libc = getLibc();
  const identify = (path: string) => {
    try {
      const { dev, ino } = libc.fileIdAt(path);
      return `${dev}:${ino}`;
    } catch {
      return undefined;
    }
  };
  const mainId = identify(mainPath);
  const at = command.argv.findIndex((word, i) => {
    if (i === 0 || word.startsWith("-")) return false;
    // A file: URL as Deno names it (an installed script's command line).
    if (word === main) return true;
    const path = resolvePath(startedIn, word);
    return path === mainPath || (mainId !== undefined && identify(path) === mainId);
  });
  if (at < 0) return undefined;
  // Its arguments stay (unread): `ps` still shows which daemon this is.
  return { ...command, argv: command.argv.with(at, entry) };
}
