/**
 * The processes of a daemon, proven its own by its recorded identity (see
 * `identity.ts`), followed over time and signalled safely.
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
import { type Identity, TOKEN_VARIABLE } from "./identity.ts";
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

/** Whether `stat` is the live process `identity` names as its main. */
function isMain(stat: ProcStat, identity: Identity): boolean {
  return stat.pid === identity.pid && stat.startTicks === identity.start && !isEnded(stat.state);
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
    // Looked at again once pinned: still of the session, or (it may have
    // left it meanwhile, with setsid) carrying the token.
    const member = pin(stat, (now) => now.sid === sid || carriesToken(now.pid, token));
    if (member) found.push(member);
  }
  return found;
}

/** What refuses a start: the daemon's main process, or what it left running. */
export function runningMessage(running: Sighting): string {
  if (running.main) return `already running (pid ${running.main.pid})`;
  const pids = running.others.map((m) => m.pid);
  const n = pids.length;
  return `already running: ${n} process${n === 1 ? "" : "es"} of its last start still run${
    n === 1 ? "s" : ""
  } (pid ${pids.slice(0, 5).join(", ")}${n > 5 ? ", …" : ""}); stop it first`;
}
