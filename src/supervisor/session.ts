/**
 * The supervisor's own session and terminal: what its program left running
 * there, whether a terminal's signals reach the program without it, and
 * the pid file's word that the daemon's processes are in it.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { pid as ownPid } from "../host.ts";
import { selfIdentity, TOKEN_VARIABLE } from "../process/identity.ts";
import type { PidFile } from "../process/pid_file.ts";
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

/**
 * Records in pid file `file` that the daemon's processes are now in this
 * supervisor's session (a supervisor that took over its program's session
 * starts the next run in its own).
 */
export function recordOwnSession(file: PidFile | undefined): void {
  const token = getLibc().getenv(TOKEN_VARIABLE);
  if (!file || token === undefined) return;
  try {
    file.rerecord(selfIdentity(ownPid(), token, true));
  } catch {
    // The old session stays recorded: status sees less of the daemon.
  }
}
