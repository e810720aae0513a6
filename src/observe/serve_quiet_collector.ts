/**
 * Bun's collector timer looks at the process's memory every second, so an
 * idle Bun process never sleeps through a second (3 CPU ticks in 10 s for
 * `serve` with no client). `serve` allocates next to nothing while idle:
 * under Bun (and the binary) it runs itself again once, without that timer
 * (its collector still runs as it allocates). Deno has no such timer.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { isDeno } from "../host.ts";
import { sameCommand } from "../start/relaunch.ts";

/** The variable that turns Bun's collector timer off (any value set by the user is kept). */
const TIMER_OFF = "BUN_GC_TIMER_DISABLE";

/** Under Bun, unless the variable is set: this process again, without the timer; else returns. */
export function withoutCollectorTimer(): void {
  const libc = getLibc();
  if (isDeno || libc.getenv(TIMER_OFF) !== undefined) return;
  try {
    const command = sameCommand([`${TIMER_OFF}=1`]);
    libc.execve(command.path, command.argv, command.env);
  } catch {
    // Not run again: served as it is, the timer on.
  }
}
