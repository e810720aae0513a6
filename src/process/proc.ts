/**
 * Process facts from Linux's `/proc`: the one place that reads and parses
 * `stat`, `status`, `environ`, `cmdline`, the boot id and the uptime. The
 * parsers are pure (tested on recorded samples); the readers return
 * undefined for a process that is gone or hidden.
 *
 * Read through libc, not the runtime: Deno asks for `--allow-all` to read
 * `/proc` with its own API.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { readDirectory } from "../host.ts";

/** The fields of `/proc/PID/stat` this project uses. */
export interface ProcStat {
  readonly pid: number;
  /** The command name (`comm`), at most 15 bytes. */
  readonly comm: string;
  /** One letter: R, S, D, Z, T, t, X, I… */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  /** The session id: the pid of the process that created the session. */
  readonly sid: number;
  readonly ttyNr: number;
  /** The foreground process group of its terminal (-1 without one). */
  readonly tpgid: number;
  /** When the process started, in clock ticks after boot. */
  readonly startTicks: number;
  /** CPU time it used (user and system), in clock ticks. */
  readonly cpuTicks: number;
  /** CPU time of its children it waited for (user and system), in clock ticks. */
  readonly childTicks: number;
}

/** Clock ticks per second of `/proc` start times (`sysconf(_SC_CLK_TCK)`, 100 on Linux). */
export const CLOCK_TICKS = 100;

/**
 * Parses `/proc/PID/stat`. The command name may hold spaces and `)`, so the
 * fields are counted from its last `)`.
 */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  // The first 20 fields after the name only: every process is parsed on
  // each look at a daemon, and the rest is long.
  const f: string[] = [];
  for (let at = close + 2; f.length < 20;) {
    const space = text.indexOf(" ", at);
    if (space < 0) break;
    f.push(text.slice(at, space));
    at = space + 1;
  }
  const pid = Number(text.slice(0, open).trim());
  const startTicks = Number(f[19]);
  if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(startTicks)) return undefined;
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: f[0] ?? "",
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    sid: Number(f[3]),
    ttyNr: Number(f[4]),
    tpgid: Number(f[5]),
    startTicks,
    cpuTicks: Number(f[11]) + Number(f[12]),
    childTicks: Number(f[13]) + Number(f[14]),
  };
}

/** The facts of `/proc/PID/status` this project uses. */
export interface ProcStatus {
  /** Signals with a handler (`SigCgt`), bit n-1 for signal n. */
  readonly caught: bigint;
  /** Ignored signals (`SigIgn`). */
  readonly ignored: bigint;
  /** Resident memory in bytes (`VmRSS`); undefined for kernel threads and zombies. */
  readonly rssBytes: number | undefined;
  readonly uid: number | undefined;
}

/** Parses `/proc/PID/status`. */
export function parseStatus(text: string): ProcStatus {
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(text)?.[1]?.trim();
  const mask = (name: string) => {
    const hex = field(name);
    return hex && /^[0-9a-f]+$/i.test(hex) ? BigInt(`0x${hex}`) : 0n;
  };
  const rss = /^(\d+) kB$/.exec(field("VmRSS") ?? "");
  const uid = field("Uid")?.split(/\s+/)[0];
  return {
    caught: mask("SigCgt"),
    ignored: mask("SigIgn"),
    rssBytes: rss ? Number(rss[1]) * 1024 : undefined,
    uid: uid === undefined ? undefined : Number(uid),
  };
}

/** Whether signal `signal` is set in a `/proc` signal mask. */
export function inSignalMask(mask: bigint, signal: number): boolean {
  return ((mask >> BigInt(signal - 1)) & 1n) === 1n;
}

/** Splits NUL-separated `/proc` text (`cmdline`, `environ`). */
export function nulSeparated(text: string): string[] {
  const items = text.split("\0");
  if (items.at(-1) === "") items.pop();
  return items;
}

function read(path: string): string | undefined {
  try {
    return getLibc().readProcText(path);
  } catch {
    return undefined;
  }
}

/** `/proc/PID/stat`, parsed; undefined when the process is gone. */
export function readStat(pid: number | "self"): ProcStat | undefined {
  const text = read(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseStat(text);
}

/** `/proc/PID/status`, parsed; undefined when the process is gone. */
export function readStatus(pid: number | "self"): ProcStatus | undefined {
  const text = read(`/proc/${pid}/status`);
  return text === undefined ? undefined : parseStatus(text);
}

/**
 * The environment a process was started with (`/proc/PID/environ`); undefined
 * when it is gone or not ours to read (another user's, without root).
 */
export function readEnviron(pid: number | "self"): string[] | undefined {
  const text = read(`/proc/${pid}/environ`);
  return text === undefined ? undefined : nulSeparated(text);
}

/** A process's command line, word by word; undefined when gone. */
export function readCommandWords(pid: number | "self"): string[] | undefined {
  const text = read(`/proc/${pid}/cmdline`);
  return text === undefined ? undefined : nulSeparated(text);
}

/** A process's command line, words joined by spaces; undefined when gone. */
export function readCommandLine(pid: number): string | undefined {
  const text = read(`/proc/${pid}/cmdline`);
  return text ? nulSeparated(text).join(" ") : undefined;
}

/**
 * This boot's id: start times are only comparable within one boot.
 *
 * Test seam: `$DAEMONIZE_TEST_BOOT_ID`, when set, is the id instead, so that
 * a test can play a reboot (a new boot id) without rebooting the machine.
 */
export function bootId(): string {
  const seam = getLibc().getenv("DAEMONIZE_TEST_BOOT_ID");
  if (seam) return seam;
  return read("/proc/sys/kernel/random/boot_id")?.trim() ?? "";
}

/** Seconds since boot. */
export function uptimeSeconds(): number | undefined {
  const text = read("/proc/uptime");
  const value = Number(text?.split(" ")[0]);
  return Number.isFinite(value) ? value : undefined;
}

let bootTime: number | undefined;

/** When this boot began, in seconds since the epoch (`btime` of `/proc/stat`, read once). */
export function bootTimeSeconds(): number | undefined {
  if (bootTime !== undefined) return bootTime;
  const value = Number(/^btime (\d+)$/m.exec(read("/proc/stat") ?? "")?.[1]);
  if (Number.isSafeInteger(value) && value > 0) bootTime = value;
  return bootTime;
}

/** Whether a process state letter means the process has ended (zombie, dead). */
export function isEnded(state: string): boolean {
  return state === "Z" || state === "X";
}

/**
 * Whether `pid` names a live process: not gone, not a zombie. Without
 * `/proc` (macOS), whether the pid exists at all.
 */
export function isRunning(pid: number): boolean {
  const stat = readStat(pid);
  if (stat) return !isEnded(stat.state);
  return readStat("self") === undefined && getLibc().processExists(pid);
}

/** Every process's stat, parsed; processes that vanish meanwhile are skipped. */
export function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readDirectory("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const stat = readStat(Number(name));
    if (stat) stats.push(stat);
  }
  return stats;
}

/**
 * The processes of session `sid`, and process `also` when it runs. Each
 * process's session is asked of the kernel (`getsid(2)`, one call, no file)
 * before its stat file is read: a look at one daemon reads its own few
 * processes' files, not every process's. Where the kernel won't say (a
 * security module refusing `getsid`), the stat file is read; callers compare
 * each stat's `sid` again.
 */
export function sessionStats(sid: number, also?: number): ProcStat[] {
  if (oneLook) return sessionsOfLook(oneLook).get(sid) ?? [];
  const libc = getLibc();
  const stats: ProcStat[] = [];
  for (const name of readDirectory("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(name);
    const session = pid === also ? sid : libc.sessionOf(pid);
    // Not said (null): the stat file tells.
    if (session !== sid && session !== null) continue;
    // The stat file says the same, or the process changed session meanwhile
    // (the caller compares `sid` again).
    const stat = readStat(pid);
    if (stat) stats.push(stat);
  }
  return stats;
}

/** The look at every process that {@link withOneLook} shares, made at its first use. */
let oneLook: { sessions?: Map<number, ProcStat[]> } | undefined;

/** Every process's stat of `look`, by session; read once. */
function sessionsOfLook(look: { sessions?: Map<number, ProcStat[]> }): Map<number, ProcStat[]> {
  if (look.sessions) return look.sessions;
  const sessions = new Map<number, ProcStat[]>();
  for (const stat of allStats()) {
    const members = sessions.get(stat.sid);
    if (members) members.push(stat);
    else sessions.set(stat.sid, [stat]);
  }
  return look.sessions = sessions;
}

/**
 * Runs `fn` with one look at every process serving each
 * {@link sessionStats} it makes (synchronously): a listing of many daemons
 * reads each process's stat once, not once a daemon.
 */
export function withOneLook<T>(fn: () => T): T {
  const outer = oneLook;
  oneLook = {};
  try {
    return fn();
  } finally {
    oneLook = outer;
  }
}

/** What `status` shows of a live process: uptime, resident memory, command line. */
export interface ProcessFacts {
  readonly uptimeSeconds: number | null;
  readonly rssBytes: number | null;
  readonly command: string | null;
}

/** Uptime, RSS and command line of a live process. */
export function processFacts(pid: number): ProcessFacts {
  const stat = readStat(pid);
  const now = uptimeSeconds();
  return {
    uptimeSeconds: stat && now !== undefined
      ? Math.max(0, Math.round(now - stat.startTicks / CLOCK_TICKS))
      : null,
    rssBytes: readStatus(pid)?.rssBytes ?? null,
    command: readCommandLine(pid) ?? null,
  };
}

/** What a group of processes (a daemon's tree) uses. */
export interface TreeUsage {
  /** Resident memory of all of them. */
  readonly rssBytes: number;
  /** CPU use over each one's lifetime, summed (100 = one CPU busy), as `ps` reports it. */
  readonly cpuPercent: number;
}

/** Resident memory and CPU use of `pids` together (those gone meanwhile count nothing). */
export function treeUsage(pids: readonly number[]): TreeUsage {
  const now = uptimeSeconds();
  let rssBytes = 0;
  let cpuPercent = 0;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (!stat) continue;
    rssBytes += readStatus(pid)?.rssBytes ?? 0;
    const lived = now === undefined ? 0 : now - stat.startTicks / CLOCK_TICKS;
    if (lived > 0) cpuPercent += (stat.cpuTicks / CLOCK_TICKS / lived) * 100;
  }
  return { rssBytes, cpuPercent: Math.round(cpuPercent * 10) / 10 };
}

/**
 * Why signal `signal` (called `name`) would end process `pid`, or undefined
 * when it would not: it has a handler or ignores it (`SigCgt`, `SigIgn`).
 * Deno's own handlers show in `SigCgt` whether or not the program listens
 * (and end it when it does not), so a Deno program can't be told safe.
 */
export function whyFatal(pid: number, signal: number, name: string): string | undefined {
  if (readStat(pid)?.comm === "deno") {
    return `is a Deno program, which can't be seen to listen for ${name}`;
  }
  const status = readStatus(pid);
  const safe = !!status &&
    (inSignalMask(status.caught, signal) || inSignalMask(status.ignored, signal));
  return safe ? undefined : `neither catches nor ignores ${name}`;
}
