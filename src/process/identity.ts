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
 * "The daemon" is its main process plus every process of its session. A
 * session id is a pid number too, free for reuse once the session is empty,
 * so session members count only while the session is proven ours: its main
 * process or leader is alive with the recorded start time, or one of its
 * members carries the token, or a member proven earlier still lives in it
 * (the number can't be reused while one does).
 *
 * Every signal goes through a pidfd opened first and checked afterwards
 * against the start time and session seen: a process that ended meanwhile
 * and whose pid was reused is never hit.
 *
 * @module
 */
import { getLibc, SysCallError } from "../../ffi/libc.ts";
import { platform } from "../host.ts";
import {
  allStats,
  bootId,
  isEnded,
  type ProcStat,
  readEnviron,
  readStat,
  readStatus,
  sessionStats,
} from "./proc.ts";

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

/** Whether two identities name the same start of the same process. */
export function sameStart(a: Identity, b: Identity): boolean {
  return a.pid === b.pid && a.start === b.start && a.boot === b.boot &&
    (a.token === undefined || b.token === undefined || a.token === b.token);
}

/** Whether `stat` is the live process `identity` names as its main. */
function isMain(stat: ProcStat, identity: Identity): boolean {
  return stat.pid === identity.pid && stat.startTicks === identity.start && !isEnded(stat.state);
}

/**
 * Whether this process runs in the session recorded in `identity`: stopping
 * that daemon would end this process too.
 */
export function inRecordedSession(identity: Identity): boolean {
  return identity.sid !== null && readStat("self")?.sid === identity.sid;
}

/** Whether a process carries the daemon's token in its environment. */
export function carriesToken(pid: number, token: string): boolean {
  return readEnviron(pid)?.includes(`${TOKEN_VARIABLE}=${token}`) ?? false;
}

/** A process proven to be a daemon's, pinned by a pidfd where there is one. */
export interface Member {
  /** Its pid. */
  readonly pid: number;
  /** Its start time, in clock ticks after boot. */
  readonly start: number;
  /** Sends `signal`; false when the process is gone. */
  signal(signal: number): boolean;
  /** Whether it still runs (same pid, same start time, not a zombie). */
  alive(): boolean;
  /** A descriptor that becomes readable when it ends (its pidfd), if any. */
  readonly exitFd: number | undefined;
  /** Lets go of the pidfd. */
  close(): void;
}

/**
 * Opens a handle on `stat`'s process and checks, after opening, that the pid
 * still names the process seen (same start time) and that `still` holds.
 */
function pin(stat: ProcStat, still: (now: ProcStat) => boolean): Member | undefined {
  const libc = getLibc();
  let pidfd: number | undefined;
  try {
    pidfd = platform === "linux" ? libc.pidfdOpen(stat.pid) : undefined;
  } catch (error) {
    if (error instanceof SysCallError && error.code === "ESRCH") return undefined;
    // Out of descriptors, say: checked by start time alone, like kill(2).
    pidfd = undefined;
  }
  const now = readStat(stat.pid);
  if (!now || now.startTicks !== stat.startTicks || isEnded(now.state) || !still(now)) {
    if (pidfd !== undefined) libc.close(pidfd);
    return undefined;
  }
  let open = true;
  return {
    pid: stat.pid,
    start: stat.startTicks,
    exitFd: pidfd,
    signal(signal: number): boolean {
      try {
        if (pidfd !== undefined) libc.pidfdSendSignal(pidfd, signal);
        else libc.kill(stat.pid, signal);
        return true;
      } catch (error) {
        if (error instanceof SysCallError && error.code === "ESRCH") return false;
        throw error;
      }
    },
    alive(): boolean {
      const s = readStat(stat.pid);
      return !!s && s.startTicks === stat.startTicks && !isEnded(s.state);
    },
    close(): void {
      if (open && pidfd !== undefined) libc.close(pidfd);
      open = false;
    },
  };
}

/** Whether `member` still runs in session `sid`, which it then keeps from reuse. */
function holdsSession(member: Member, sid: number): boolean {
  const now = readStat(member.pid);
  return !!now && now.startTicks === member.start && now.sid === sid && !isEnded(now.state);
}

/** What a look at a daemon's processes found. */
export interface Sighting {
  /** The main process, when it runs. */
  readonly main: Member | undefined;
  /** The other live processes of its session, proven its own. */
  readonly others: readonly Member[];
  /**
   * Live processes of its session this reader could not check (the token,
   * or their environment, is not readable by this user), when no other
   * proof held: neither counted nor signalled, but not to be called gone.
   */
  readonly unverified: number;
}

/**
 * Follows one daemon's processes over time. Each {@link look} scans `/proc`
 * for its main process and its session's members and pins those proven
 * ours; a member pinned in one look proves the session in the next.
 */
export class ProcessTree {
  /** The recorded identity it follows. */
  readonly identity: Identity;
  readonly #pinned = new Map<number, Member>();

  /** A tree for `identity`. */
  constructor(identity: Identity) {
    this.identity = identity;
  }

  /** The daemon's live processes now. */
  look(): Sighting {
    const id = this.identity;
    if (platform !== "linux") return this.#lookWithoutProc();
    const earlier = new Set(this.#pinned.values());
    if (id.boot !== bootId()) return { main: undefined, others: [], unverified: 0 };
    const owner = id.onlyOf;
    // Its session's processes only: each asked its session before its stat is read.
    const found = id.sid === null ? [readStat(id.pid)] : sessionStats(id.sid, id.pid);
    const stats = found.filter((s): s is ProcStat =>
      s !== undefined && !isEnded(s.state) &&
      (owner === undefined || readStatus(s.pid)?.uid === owner)
    );
    const mainStat = stats.find((s) => isMain(s, id));
    const main = mainStat ? this.#pinOrReuse(mainStat, (now) => isMain(now, id)) : undefined;
    if (id.sid === null) return this.#keep(main, []);
    const sid = id.sid;
    const members = stats.filter((s) => s.sid === sid && s.pid !== id.pid);
    // Who proves the session is still the one the daemon was started in.
    const witness = (main && mainStat!.sid === sid ? main : undefined) ??
      this.#livePinnedIn(sid) ??
      this.#leader(stats, sid) ??
      this.#tokenCarrier(members, sid);
    if (!witness) {
      // Unknown, not absent: the token is hidden from this reader, or the
      // members' environments are.
      const hidden = this.identity.tokenHidden === true;
      const token = this.identity.token;
      const unknown = hidden || token !== undefined
        ? members.filter((s) => hidden || readEnviron(s.pid) === undefined).length
        : 0;
      return this.#keep(main, [], unknown);
    }
    const others: Member[] = [];
    for (const stat of members) {
      const member = this.#pinOrReuse(stat, (now) => now.sid === sid);
      if (member) others.push(member);
    }
    // The witness still alive after the scan: the session number was held
    // all along, so nobody else's session can have taken it meanwhile.
    // Otherwise only members proven in an earlier look still count.
    if (!holdsSession(witness, sid)) {
      return this.#keep(main, others.filter((m) => earlier.has(m)));
    }
    return this.#keep(main, others);
  }

  /** Lets go of every pidfd. */
  close(): void {
    for (const member of this.#pinned.values()) member.close();
    this.#pinned.clear();
  }

  #pinOrReuse(stat: ProcStat, still: (now: ProcStat) => boolean): Member | undefined {
    const known = this.#pinned.get(stat.pid);
    if (known && known.start === stat.startTicks) return known;
    known?.close();
    const member = pin(stat, still);
    if (member) this.#pinned.set(stat.pid, member);
    else this.#pinned.delete(stat.pid);
    return member;
  }

  /** What a look found: these stay pinned, every other pidfd is let go. */
  #keep(main: Member | undefined, others: Member[], unverified = 0): Sighting {
    const live = main ? [main, ...others] : others;
    for (const [pid, member] of this.#pinned) {
      if (!live.includes(member)) {
        member.close();
        this.#pinned.delete(pid);
      }
    }
    return { main, others, unverified };
  }

  #livePinnedIn(sid: number): Member | undefined {
    for (const member of this.#pinned.values()) {
      if (holdsSession(member, sid)) return member;
    }
    return undefined;
  }

  #leader(stats: ProcStat[], sid: number): Member | undefined {
    const start = this.identity.sidStart;
    const leader = stats.find((s) => s.pid === sid && s.startTicks === start);
    return leader && this.#pinOrReuse(leader, (now) => now.sid === sid);
  }

  #tokenCarrier(members: ProcStat[], sid: number): Member | undefined {
    const token = this.identity.token;
    if (token === undefined) return undefined;
    for (const stat of members) {
      if (!carriesToken(stat.pid, token)) continue;
      const member = this.#pinOrReuse(stat, (now) => now.sid === sid);
      if (member) return member;
    }
    return undefined;
  }

  /** Without /proc (macOS): the main process only, by pid alone. */
  #lookWithoutProc(): Sighting {
    const libc = getLibc();
    const pid = this.identity.pid;
    if (!libc.processExists(pid)) return { main: undefined, others: [], unverified: 0 };
    const main: Member = {
      pid,
      start: this.identity.start,
      signal: (signal) => {
        try {
          libc.kill(pid, signal);
          return true;
        } catch {
          return false;
        }
      },
      alive: () => libc.processExists(pid),
      exitFd: undefined,
      close: () => {},
    };
    return { main, others: [], unverified: 0 };
  }
}

/**
 * What a start that failed left running: the processes of session `sid`
 * (its leader, our unreaped child, keeps the number from reuse) and any
 * process carrying `token`, even one that left the session. Pinned. With
 * `only`, just that pid, if it is one of them.
 */
export function leftBehind(sid: number, token: string, only?: number): Member[] {
  const found: Member[] = [];
  const stats = only === undefined ? allStats() : [readStat(only)].filter((s) => s !== undefined);
  for (const stat of stats) {
    if (isEnded(stat.state) || stat.pid === sid) continue;
    const inSession = stat.sid === sid;
    if (!inSession && !carriesToken(stat.pid, token)) continue;
    const member = pin(stat, (now) => !inSession || now.sid === sid);
    if (member) found.push(member);
  }
  return found;
}
