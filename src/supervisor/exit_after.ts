/**
 * How the supervisor exits after its program: with the program's status
 * (128 + N for death by signal N), its pid file released, unless processes
 * the program left in the daemon's session still run: they are still the
 * daemon, so the pid file stays for `status` to count them and `stop` to end
 * them. A start that failed tells the starter how, and exits 1.
 *
 * @module
 */
import type { ExitStatus } from "../../ffi/libc.ts";
import { exitProgram } from "../host.ts";
import type { SupervisorPlan } from "./plan.ts";
import { leftInSession } from "./session.ts";
import { tellStarter } from "./starter_word.ts";

/** The exit status that passes `end` on (128 + N for death by signal N). */
export function exitStatusOf(end: ExitStatus): number {
  return "code" in end ? end.code : 128 + end.signal;
}

/**
 * Exits after a program that ended with `end`, the daemon then being
 * `failed` or not, its start failed or not; says (through `say`) what the
 * program left running.
 */
export function exitAfter(
  plan: SupervisorPlan,
  end: ExitStatus,
  how: { failed: boolean; failedStart: boolean },
  say: (line: string) => void,
): never {
  if (how.failedStart) {
    plan.pidFile?.release();
    tellStarter(plan.channel, end);
    exitProgram(1);
  }
  const left = plan.ownSession ? leftInSession() : [];
  if (left.length) {
    say(
      `${plan.program.name} left ${left.length} process${
        left.length === 1 ? "" : "es"
      } running (pid ${left.slice(0, 5).join(", ")}); stop ends them`,
    );
    plan.pidFile?.keep();
    exitProgram(exitStatusOf(end));
  }
  plan.pidFile?.release();
  exitProgram(how.failed ? Math.max(1, exitStatusOf(end)) : exitStatusOf(end));
}
