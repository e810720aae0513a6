/**
 * The control requests of `serve` (restart, stop, start a daemon), each
 * done by the command itself (`daemonize restart NAME`...), run as a
 * process of its own and waited for without blocking: one at a time.
 *
 * @module
 */
import { ownCommandSpawner } from "../cli/own_command.ts";

/** What a control request may do. */
export const ACTIONS: readonly string[] = ["restart", "stop", "start"];

/** How often a running command is looked at (ms). */
const POLL = 50;

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `daemonize ACTION NAME` after those asked before it; its exit status
 * (1 when it died of a signal).
 */
export function runAction(action: string, name: string): Promise<number> {
  const done = queue.then(() => runNow(action, name));
  queue = done.catch(() => undefined);
  return done;
}

async function runNow(action: string, name: string): Promise<number> {
  const spawn = await ownCommandSpawner();
  const { getLibc } = await import("../../ffi/libc.ts");
  const libc = getLibc();
  const pid = spawn([action, name]);
  for (;;) {
    const status = libc.waitpid(pid, true);
    if (status) return "code" in status ? status.code : 1;
    await new Promise((resolve) => setTimeout(resolve, POLL));
  }
}
