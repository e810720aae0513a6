/**
 * Stop marks: a daemon stopped on purpose (`stop NAME`, `down NAME`) stays
 * stopped under `up` of its file, across reboots too, until a start of it
 * (`start NAME`, `up NAME`, `restart NAME`) clears the mark. The mark is a
 * small file of the state folder (`NAME.stopped`), written whole or not at
 * all, and only a file carrying the mark's kind is ever removed.
 *
 * @module
 */
import { readTextFileIfAny, removeFile, writeTextFile } from "../host.ts";
import { ensureDirs, namedFiles, stateDirs } from "./state.ts";

/** What tells a stop mark from a file of the user's. */
const KIND = "daemonize stopped on purpose";

/** Whether `text` is a stop mark's. */
function isMark(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    return JSON.parse(text)?.kind === KIND;
  } catch {
    return false;
  }
}

/** Whether daemon `name` was stopped on purpose (and not started since). */
export function stoppedOnPurpose(name: string): boolean {
  return isMark(readTextFileIfAny(namedFiles(name).stopMark));
}

/**
 * Marks daemon `name` stopped on purpose. A file of the user's in the
 * mark's place is left alone (then `up` starts the daemon as before);
 * false when the mark could not be written.
 */
export function markStopped(name: string, at: Date = new Date()): boolean {
  const path = namedFiles(name).stopMark;
  const text = readTextFileIfAny(path);
  if (text !== undefined && !isMark(text)) return false;
  try {
    ensureDirs([stateDirs().state]);
    writeTextFile(path, JSON.stringify({ kind: KIND, at: at.toISOString() }) + "\n", 0o644, true);
    return true;
  } catch {
    return false;
  }
}

/** Clears daemon `name`'s stop mark, if it has one; true when it had. */
export function clearStopMark(name: string): boolean {
  const path = namedFiles(name).stopMark;
  if (!isMark(readTextFileIfAny(path))) return false;
  try {
    return removeFile(path);
  } catch {
    return false;
  }
}
