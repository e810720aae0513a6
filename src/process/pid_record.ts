/**
 * The record beside a pid file: the daemon's identity (public) and its
 * token (its owner's only), believed only as far as who could write them.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { writeTextFile } from "../host.ts";
import { type Identity, isToken, parseIdentity, publicRecord } from "./identity.ts";

/** Where a pid file's record is kept. */
export interface RecordPaths {
  /** The identity of the daemon it names. */
  readonly identityPath: string;
  /** Its token, readable by its owner only. */
  readonly tokenPath: string;
}

/** Records `identity` at `paths` (its token apart, mode 0600). */
export function writeRecord(paths: RecordPaths, identity: Identity): void {
  writeTextFile(paths.identityPath, publicRecord(identity), 0o644);
  if (identity.token !== undefined) writeTextFile(paths.tokenPath, `${identity.token}\n`, 0o600);
}

/**
 * The identity recorded at `paths`, or undefined when there is none (or
 * one written by something else than a start).
 */
export function readRecord(paths: RecordPaths): Identity | undefined {
  const libc = getLibc();
  const euid = libc.ids().euid;
  // Writable by others, a record could name anybody's process: not
  // believed. Written by another user than root or us, it is believed
  // only about that user's own processes.
  const record = readOwned(paths.identityPath, 0o022);
  if (!record) return undefined;
  const identity = parseIdentity(record.text);
  if (!identity) return undefined;
  const secret = readOwned(paths.tokenPath, 0o077);
  const token = secret && secret.uid === record.uid && isToken(secret.text.trim())
    ? secret.text.trim()
    : undefined;
  const onlyOf = record.uid === 0 || record.uid === euid ? undefined : record.uid;
  // There but not ours to read: what the token would prove stays unknown.
  const hidden = token === undefined && !secret && pathExists(paths.tokenPath);
  return {
    ...identity,
    ...(token === undefined ? {} : { token }),
    ...(onlyOf === undefined ? {} : { onlyOf }),
    ...(hidden ? { tokenHidden: true } : {}),
  };
}

/**
 * A file's text and owner, read through one descriptor (no symbolic link
 * followed, so what is checked is what is read); undefined when it is
 * missing, unreadable, or has any of the `forbidden` mode bits.
 */
function readOwned(path: string, forbidden: number): { text: string; uid: number } | undefined {
  const libc = getLibc();
  let fd: number;
  try {
    const c = libc.constants;
    fd = libc.open(path, c.O_NOFOLLOW | c.O_NONBLOCK | c.O_CLOEXEC);
  } catch {
    return undefined;
  }
  try {
    const { uid, mode } = libc.fileIdOf(fd);
    if ((mode & 0o170000) !== 0o100000 || (mode & forbidden) !== 0) return undefined;
    return { text: new TextDecoder().decode(libc.readAll(fd)), uid };
  } catch {
    return undefined;
  } finally {
    libc.close(fd);
  }
}

/** Whether something is at `path` (even what this user may not read). */
function pathExists(path: string): boolean {
  try {
    getLibc().fileIdAt(path);
    return true;
  } catch {
    return false;
  }
}
