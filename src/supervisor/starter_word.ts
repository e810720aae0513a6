/**
 * What the supervisor tells the starter that waits for it (see
 * `start/ready_channel.ts`): how the program's first run ended, while the
 * starter still judges the start, and whether it left (the start counted).
 *
 * @module
 */
import type { ExitStatus } from "../../ffi/libc.ts";
import type { ReadyChannel } from "../start/ready_channel.ts";

/** Tells the starter on `channel`, if it still waits, how the program ended; once. */
export function tellStarter(channel: ReadyChannel | undefined, end: ExitStatus): void {
  if (!channel?.open) return;
  if ("code" in end) channel.exited(end.code);
  else channel.killed(end.signal);
  // Said once: the exit that follows is ours, not the program's.
  channel.close();
}

/**
 * Whether the start was judged a success (the starter on `channel` left, or
 * none waited), so that ends are restarted; the channel is closed then.
 */
export function startJudged(channel: ReadyChannel | undefined): boolean {
  if (!channel || channel.starterGone()) {
    channel?.close();
    return true;
  }
  return false;
}
