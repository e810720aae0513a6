/**
 * The supervisor's own session and terminal: what its program left running
 * there, and whether a terminal's signals reach the program without it.
 *
 * @module
 */
import { pid as ownPid } from "../host.ts";
import { readStat, sessionStats } from "../process/proc.ts";

/** Live processes of this supervisor's session, but itself. */
export function leftInSession(): number[] {
  const self = ownPid();
  const sid = readStat("self")?.sid;
  if (sid === undefined) return [];
  return sessionStats(sid)
    .filter((s) => s.sid === sid && s.pid !== self && s.state !== "Z")
    .map((s) => s.pid);
}

/** Whether this process is in its terminal's foreground process group. */
export function inTerminalForeground(): boolean {
  const self = readStat("self");
  return !!self && self.tpgid > 0 && self.tpgid === self.pgrp;
}
