/**
 * A daemon's identity: what proves that a process is the one we started, or
 * one it started, whatever the program does with its descriptors.
 *
 * Recorded when the daemon starts, beside its pid file:
 * - the main process's pid and start time (clock ticks after boot), with the
 *   boot id: a pid reused by another process has another start time;
 * - the session the daemon was started in (its own, made by the start), and
 *   the start time of that session's leader;
 * - a random token, given to the daemon in `$DAEMONIZE_ID`, which every
 *   process it forks keeps in its environment.
 *
 * Which processes the identity proves the daemon's is `process_tree.ts`'s.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { bootId, readStat } from "./proc.ts";

/** The environment variable carrying a daemon's token to its processes. */
export const TOKEN_VARIABLE = "DAEMONIZE_ID";

/** What proves which processes are a daemon's. */
export interface Identity {
  /** The main process. */
  readonly pid: number;
  /** The main process's start time, in clock ticks after boot. */
  readonly start: number;
  /** The session it was started in; null when that session is not its own. */
  readonly sid: number | null;
  /** The start time of the session's leader, when it could be read. */
  readonly sidStart: number | null;
  /** The boot the times belong to. */
  readonly boot: string;
  /**
   * The token in `$DAEMONIZE_ID` of the daemon's processes; undefined when
   * the reader may not see it (it is kept apart, readable by its owner only).
   */
  readonly token?: string;
  /**
   * Only processes of this user count (the record was written by another
   * user than root or the reader, who could name only their own processes).
   */
  readonly onlyOf?: number;
  /** The token exists but this reader may not read it. */
  readonly tokenHidden?: boolean;
  /**
   * The signals a JS daemon set up (a listener, or ignored): what it does
   * on each is known even where `/proc` can't tell (Deno catches SIGHUP,
   * SIGINT and SIGTERM itself, and ends the process when no listener is
   * there). Absent for a program the daemon became.
   */
  readonly handles?: readonly number[];
}

/** A random token for a new daemon. */
export function newToken(): string {
  // From the kernel through libc: the runtime's crypto costs start-up time.
  const libc = getLibc();
  const bytes = new Uint8Array(16);
  const fd = libc.open("/dev/urandom", libc.constants.O_CLOEXEC);
  try {
    if (libc.read(fd, bytes) !== bytes.length) crypto.getRandomValues(bytes);
  } finally {
    libc.close(fd);
  }
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The identity of this process as a daemon's main process. The session
 * counts only when this process's start made it (`ownSession`) or leads it.
 */
export function selfIdentity(pid: number, token: string, ownSession: boolean): Identity {
  const self = readStat(pid);
  // Without /proc (macOS) only the pid is known.
  if (!self) return { pid, start: 0, sid: null, sidStart: null, boot: "", token };
  const owned = ownSession || self.sid === pid;
  return {
    pid,
    start: self.startTicks,
    sid: owned ? self.sid : null,
    sidStart: owned ? readStat(self.sid)?.startTicks ?? null : null,
    boot: bootId(),
    token,
  };
}

/** Parses a recorded identity; undefined for anything malformed. */
export function parseIdentity(text: string): Identity | undefined {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const int = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  const intOrNull = (v: unknown) => v === null || int(v);
  if (
    typeof value !== "object" || value === null || !int(value.pid) || !int(value.start) ||
    !intOrNull(value.sid) || !intOrNull(value.sidStart) || typeof value.boot !== "string"
  ) {
    return undefined;
  }
  const handles = Array.isArray(value.handles) && value.handles.every(int)
    ? { handles: value.handles as number[] }
    : {};
  return {
    pid: value.pid as number,
    start: value.start as number,
    sid: value.sid as number | null,
    sidStart: value.sidStart as number | null,
    boot: value.boot,
    ...handles,
  };
}

/** Whether `token` has the form of a token. */
export function isToken(token: string): boolean {
  return /^[0-9a-f]{32}$/.test(token);
}

/** The public part of an identity, as recorded beside the pid file. */
export function publicRecord(identity: Identity): string {
  const { token: _, tokenHidden: _hidden, onlyOf: _only, ...rest } = identity;
  return JSON.stringify(rest) + "\n";
}

/** Whether `a` and `b` name the same process (pid, start time and boot; tokens aside). */
export function isSameProcess(a: Identity, b: Identity): boolean {
  return a.pid === b.pid && a.start === b.start && a.boot === b.boot;
}

/** Whether two identities name the same start of the same process. */
export function sameStart(a: Identity, b: Identity): boolean {
  return a.pid === b.pid && a.start === b.start && a.boot === b.boot &&
    (a.token === undefined || b.token === undefined || a.token === b.token);
}

/**
 * Whether this process runs in the session recorded in `identity`: stopping
 * that daemon would end this process too.
 */
export function inRecordedSession(identity: Identity): boolean {
  return identity.sid !== null && readStat("self")?.sid === identity.sid;
}
