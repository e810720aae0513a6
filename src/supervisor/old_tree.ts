/**
 * The whole of a run that ends before the next one starts: the program and
 * every process it started (seen as its descendants while it ran, and, when
 * the daemon has a session of its own, as the session's other processes).
 * What outlives the program is told to end (SIGTERM), then killed
 * (SIGKILL) after the stop timeout; the next run starts once all are gone,
 * so that it never finds its port still taken by the last one.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { pid as ownPid } from "../host.ts";
import { allStats, isEnded, readStat } from "../process/proc.ts";
import { leftInSession } from "./session.ts";

/** A process of the run, by pid and start time (the pid alone may pass to another). */
interface Member {
  readonly pid: number;
  readonly start: number;
}

/** How often the end of the old processes is looked for, while a restart waits (ms). */
const LOOK_EVERY = 50;
/** How long killed processes may take to be gone before the next run starts anyway (ms). */
const KILLED_WAIT = 5000;

/** `pid` and every process below it now. */
export function treeOf(pid: number): Member[] {
  const stats = allStats();
  const children = new Map<number, number[]>();
  const starts = new Map<number, number>();
  for (const stat of stats) {
    starts.set(stat.pid, stat.startTicks);
    const list = children.get(stat.ppid);
    if (list) list.push(stat.pid);
    else children.set(stat.ppid, [stat.pid]);
  }
  const found = [pid];
  for (let i = 0; i < found.length; i++) found.push(...children.get(found[i]!) ?? []);
  return found.filter((p) => starts.has(p)).map((p) => ({ pid: p, start: starts.get(p)! }));
}

function alive(member: Member): boolean {
  const stat = readStat(member.pid);
  return !!stat && stat.startTicks === member.start && !isEnded(stat.state);
}

/**
 * What is left of a run whose program ended: those of `seen` still alive,
 * and (with `ownSession`) the session's processes other than this
 * supervisor's own children (its output keeper, a health check).
 */
function leftOf(seen: readonly Member[], ownSession: boolean): Member[] {
  const left = new Map(seen.filter(alive).map((m) => [m.pid, m]));
  if (ownSession) {
    const self = ownPid();
    for (const pid of leftInSession()) {
      const stat = readStat(pid);
      if (stat && stat.ppid !== self && !left.has(pid)) {
        left.set(pid, { pid, start: stat.startTicks });
      }
    }
  }
  return [...left.values()];
}

function send(members: readonly Member[], signal: string): void {
  const libc = getLibc();
  const number = libc.constants.signals[signal]!;
  for (const m of members) {
    if (!alive(m)) continue;
    try {
      libc.kill(m.pid, number);
    } catch {
      // Gone meanwhile.
    }
  }
}

async function goneWithin(members: readonly Member[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!members.some(alive)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, LOOK_EVERY));
  }
}

/**
 * Waits until what is left of an ended run is gone: SIGTERM, then SIGKILL
 * after `killAfter` ms. Says (through `say`) what it had to end.
 */
export async function oldTreeGone(
  seen: readonly Member[],
  ownSession: boolean,
  killAfter: number,
  say: (line: string) => void,
): Promise<void> {
  const left = leftOf(seen, ownSession);
  if (left.length === 0) return;
  const pids = left.map((m) => m.pid).slice(0, 5).join(", ");
  const one = left.length === 1;
  say(
    `${left.length} process${one ? "" : "es"} of the last run left (pid ${pids}): ending ${
      one ? "it" : "them"
    } first`,
  );
  send(left, "SIGTERM");
  if (await goneWithin(left, killAfter)) return;
  send(left, "SIGKILL");
  if (!await goneWithin(left, KILLED_WAIT)) {
    say(
      `process${
        left.length === 1 ? "" : "es"
      } of the last run still not gone after SIGKILL; starting anyway`,
    );
  }
}
