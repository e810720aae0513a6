/**
 * Whether a program has settled after its start: every thread of it and of
 * the processes it started is asleep in a call that waits for something to
 * happen (poll, epoll, select, accept, a sleep, a wait for a child, a futex,
 * a read on a pipe, socket or terminal), and its CPU time has not moved
 * since the previous look. A program that fails during its start-up is busy
 * until it fails (loading its code, reading its configuration, connecting),
 * so a start that waits for this sees the failure, whatever the
 * interpreter's start-up costs; a healthy one is seen idle soon after.
 *
 * Read from `/proc/PID/task/TID/{stat,syscall,schedstat}`. Where `syscall`
 * can't be read (another user's process, or a Yama ptrace scope that hides
 * it from a non-descendant), `wchan` names the kernel function the thread
 * sleeps in; where neither can, the sleep alone counts. Without `/proc`
 * (macOS), nothing can be seen: the program counts as settled once it has
 * run for the least time.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { arch } from "../host.ts";
import { parseStat, readStat, sessionStats } from "../process/proc.ts";

/**
 * Numbers of the calls that wait, by architecture (as Deno names it): `wait`
 * for those that wait whatever they wait on, `read` for those that wait only
 * on a pipe, socket or device (a read of a regular file is not a wait).
 */
const WAITING_CALLS: Readonly<
  Record<string, { readonly wait: ReadonlySet<number>; readonly read: ReadonlySet<number> }>
> = {
  x86_64: {
    // poll, select, semop, pause, nanosleep, accept, wait4, msgrcv,
    // rt_sigtimedwait, rt_sigsuspend, futex, io_getevents, semtimedop,
    // clock_nanosleep, epoll_wait, mq_timedreceive, waitid, pselect6, ppoll,
    // epoll_pwait, accept4, io_uring_enter, epoll_pwait2, futex_waitv.
    wait: new Set([
      7,
      23,
      65,
      34,
      35,
      43,
      61,
      70,
      128,
      130,
      202,
      208,
      220,
      230,
      232,
      243,
      247,
      270,
      271,
      281,
      288,
      426,
      441,
      449,
    ]),
    // read, readv, recvfrom, recvmsg, recvmmsg.
    read: new Set([0, 19, 45, 47, 299]),
  },
  aarch64: {
    // io_getevents, epoll_pwait, pselect6, ppoll, waitid, futex, nanosleep,
    // clock_nanosleep, rt_sigsuspend, rt_sigtimedwait, mq_timedreceive,
    // msgrcv, semtimedop, semop, accept, accept4, wait4, io_uring_enter,
    // epoll_pwait2, futex_waitv.
    wait: new Set([
      4,
      22,
      72,
      73,
      95,
      98,
      101,
      115,
      133,
      137,
      183,
      188,
      192,
      193,
      202,
      242,
      260,
      426,
      441,
      449,
    ]),
    // read, readv, recvfrom, recvmsg, recvmmsg.
    read: new Set([63, 65, 207, 212, 243]),
  },
};

/**
 * Kernel functions a thread waiting for an event sleeps in (`wchan`), for
 * when its call can't be read.
 */
const WAITING_FUNCTIONS =
  /^(do_epoll_wait|ep_poll|do_sys_poll|poll_schedule_timeout.*|do_select|core_sys_select|hrtimer_nanosleep|do_nanosleep|do_wait|kernel_wait4|futex_.*|(anon_)?pipe_read|pipe_wait.*|inet_csk_accept|unix_stream_read_generic|unix_stream_data_wait|__skb_wait_for_more_packets|sk_wait_data|wait_woken|n_tty_read|sigsuspend|do_sigtimedwait|.*sys_pause|io_cqring_wait)$/;

/**
 * Whether the call in a `/proc/…/syscall` line waits: its number is a
 * waiting call, or a read of a descriptor that `target` (a `/proc/PID/fd`
 * link) shows is no regular file. False for a thread running or in no
 * call (a page fault); undefined for an architecture whose calls are not
 * known here.
 */
export function waitsIn(
  line: string,
  architecture: string,
  target: (fd: number) => string | undefined,
): boolean | undefined {
  const [call, fd] = line.trim().split(" ");
  const number = Number(call);
  const calls = WAITING_CALLS[architecture];
  if (!calls) return undefined;
  if (!Number.isInteger(number) || number < 0) return false;
  if (calls.wait.has(number)) return true;
  if (!calls.read.has(number)) return false;
  const link = target(parseInt(fd ?? "", 16));
  return link === undefined || !link.startsWith("/") || link.startsWith("/dev/");
}

/** Whether a kernel function a thread sleeps in (`wchan`) is a wait for an event. */
export function waitsInFunction(name: string): boolean | undefined {
  return name === "" || name === "0" ? undefined : WAITING_FUNCTIONS.test(name);
}

/** One look at a program's processes. */
export interface Look {
  /** Its threads (`PID/TID`), in order: another set is another program. */
  readonly threads: string;
  /** Every thread asleep in a waiting call. */
  readonly idle: boolean;
  /** The CPU time its threads used: ns (or clock ticks where `schedstat` can't be read). */
  readonly cpu: number;
}

function readProc(path: string): string | undefined {
  try {
    return getLibc().readProcText(path);
  } catch {
    return undefined;
  }
}

/** The pids of `root` and every process below it in its session; empty when it has ended. */
export function treeOf(root: number): number[] {
  const stat = readStat(root);
  if (!stat || stat.state === "Z" || stat.state === "X") return [];
  const stats = sessionStats(stat.sid, root).filter((s) => s.sid === stat.sid);
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const s of stats) if (s.ppid === tree[i] && !tree.includes(s.pid)) tree.push(s.pid);
  }
  return tree;
}

/** Whether one thread sleeps in a waiting call; and its CPU time. */
function lookAtThread(pid: number, tid: number): { idle: boolean; cpu: number } | undefined {
  const dir = `/proc/${pid}/task/${tid}`;
  const stat = parseStat(readProc(`${dir}/stat`) ?? "");
  if (!stat) return undefined;
  const ns = Number(readProc(`${dir}/schedstat`)?.split(" ")[0]);
  const cpu = Number.isFinite(ns) ? ns : stat.cpuTicks;
  if (stat.state !== "S") return { idle: false, cpu };
  const call = readProc(`${dir}/syscall`);
  const target = (fd: number) => getLibc().readlink(`/proc/${pid}/fd/${fd}`);
  const waits = (call === undefined ? undefined : waitsIn(call, arch, target)) ??
    waitsInFunction(readProc(`${dir}/wchan`)?.trim() ?? "");
  return { idle: waits ?? true, cpu };
}

/** The threads of `pid`; none once it has ended. */
function tasksOf(pid: number): string[] {
  try {
    return getLibc().listDirectory(`/proc/${pid}/task`) ?? [];
  } catch {
    return [];
  }
}

/** Looks once at `root` and the processes below it; undefined once it has ended. */
export function lookAt(root: number): Look | undefined {
  const threads: string[] = [];
  let idle = true;
  let cpu = 0;
  for (const pid of treeOf(root)) {
    for (const name of tasksOf(pid)) {
      const thread = lookAtThread(pid, Number(name));
      if (!thread) continue;
      threads.push(`${pid}/${name}`);
      idle &&= thread.idle;
      cpu += thread.cpu;
    }
  }
  if (threads.length === 0) return undefined;
  return { threads: threads.sort().join(" "), idle, cpu };
}

/** Watches a program start until it has settled. */
export class SettleWatch {
  readonly #root: number;
  readonly #notBefore: number;
  #last: Look | undefined;
  /** When the next look is due: the first, one interval before it may count. */
  #next: number;

  /** Watches `root`'s tree; it counts as settled no earlier than `notBefore` (ms since the epoch). */
  constructor(root: number, notBefore: number) {
    this.#root = root;
    this.#notBefore = notBefore;
    this.#next = notBefore - SETTLE_EVERY;
  }

  /** Milliseconds until the next look is due (0: now). */
  untilNext(now: number = Date.now()): number {
    return Math.max(0, this.#next - now);
  }

  /**
   * Looks again: true once this look and the one before both found every
   * thread idle, the same threads, and no CPU time used in between.
   */
  look(now: number = Date.now()): boolean {
    if (readStat("self") === undefined) return now >= this.#notBefore;
    const previous = this.#last;
    const look = lookAt(this.#root);
    this.#last = look;
    this.#next = now + SETTLE_EVERY;
    return now >= this.#notBefore && look !== undefined && previous !== undefined &&
      look.idle && previous.idle && look.threads === previous.threads && look.cpu === previous.cpu;
  }
}

/** How often a settling program is looked at (ms): two looks in a row must find it idle. */
export const SETTLE_EVERY = 40;
