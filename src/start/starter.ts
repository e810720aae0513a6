/**
 * The starter's role in a start: check the program it is asked to run, say
 * what the start runs (the daemon started again, or the program itself), and
 * launch it; loaded only by the process that is the starter.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { platform } from "../host.ts";
import type { ResolvedOptions } from "../options.ts";
import { TOKEN_VARIABLE } from "../process/identity.ts";
import {
  envValue,
  findProgram,
  type Program,
  programDirectory,
  programEnv,
} from "../daemon/program.ts";
import { launch } from "./launch.ts";
import type { DirectStart } from "./plan.ts";

/**
 * Starts the daemon (of this program, or running `program`) and waits until
 * it is ready; returns its pid.
 * @throws {DaemonError} naming the step that failed, in the starter or in
 * the daemon; nothing is left running then.
 */
export function launchDaemon(options: ResolvedOptions, program?: Program): number {
  if (!program) return launch(options);
  const [name] = program.command;
  findProgram(name ?? "", getLibc().getenv("PATH"), programDirectory(options));
  return launch(options, {
    name: name!,
    grace: program.grace,
    settleLimit: program.settleLimit,
    notify: !!program.notify,
    supervised: !!program.supervise,
    ready: program.ready,
    direct: directStart(program, options),
  });
}

/**
 * How the starter runs `program` itself (one start of the runtime, not two),
 * when nothing of its set-up needs a process of its own: no supervisor, and
 * no user, group or root directory to change to.
 */
function directStart(program: Program, o: ResolvedOptions): DirectStart | undefined {
  if (
    program.supervise || o.user !== undefined || o.group !== undefined ||
    o.chrootDirectory !== undefined || o.singleDetach || platform !== "linux"
  ) {
    return undefined;
  }
  const [name, ...args] = program.command;
  // Its environment once; the starter adds the token of this start.
  const env = programEnv(program, "").filter((e) => !e.startsWith(`${TOKEN_VARIABLE}=`));
  const path = findProgram(name!, envValue(env, "PATH"), o.workingDirectory);
  return {
    path,
    argv: [name!, ...args],
    env,
    workingDirectory: o.workingDirectory,
    umask: o.umask,
    preventCore: o.preventCore,
  };
}
