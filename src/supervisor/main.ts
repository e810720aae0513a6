/**
 * The supervisor's own process image (see `supervisor/handoff.ts`): a
 * daemon's set-up executes the runtime on this file, in the same process,
 * once it is set up. It loads the supervisor alone and goes on with what the
 * set-up handed over.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { asDaemonError } from "../errors.ts";
import { changeDirectory, exit, isDeno, onExit, writeErr } from "../host.ts";
import { adoptPidFile, type PidFile } from "../process/pid_file.ts";
import { ReadyChannel } from "../start/ready_channel.ts";
import { holdForwardedSignals } from "../daemon/signals.ts";
import { supervise } from "./supervisor.ts";
import type { HandedPlan } from "./handoff.ts";
import { PLAN_VARIABLE } from "./record.ts";

/** The plan, taken out of the environment (the program gets its own). */
function takePlan(): HandedPlan | undefined {
  const libc = getLibc();
  const text = libc.getenv(PLAN_VARIABLE);
  if (text === undefined) return undefined;
  libc.unsetenv(PLAN_VARIABLE);
  // Bun's process.env is a copy made at start-up; Deno's reads libc's.
  if (!isDeno) {
    delete (globalThis as { process: { env: Record<string, string> } }).process.env[PLAN_VARIABLE];
  }
  try {
    return JSON.parse(text) as HandedPlan;
  } catch {
    return undefined;
  }
}

const plan = takePlan();
if (!plan) {
  writeErr("daemonize: this file is a daemon's supervisor, started by the daemon's set-up\n");
  exit(2);
}
let channel: ReadyChannel | undefined;
let pidFile: PidFile | undefined;
// An exit the supervisor did not plan (it plans its own) still cleans up.
onExit((code) => {
  if (channel?.open) channel.exited(code);
  pidFile?.release();
});
try {
  channel = plan.channel !== undefined ? new ReadyChannel(plan.channel) : undefined;
  pidFile = plan.pidFile ? adoptPidFile(plan.pidFile) : undefined;
  changeDirectory(plan.cwd);
  supervise({
    program: plan.program,
    supervision: plan.supervision,
    pidFile,
    channel,
    ownSession: plan.ownSession === true,
    adopt: plan.adopt,
  });
  // Held across the exec (see supervisor/handoff.ts): let through now that
  // they are handled, those that came meanwhile too.
  holdForwardedSignals(false);
} catch (error) {
  const failure = asDaemonError("startup", "cannot supervise", error);
  console.error(`daemonize: ${failure.step}: ${failure.message}`);
  channel?.failed(failure);
  pidFile?.release();
  exit(1);
}
