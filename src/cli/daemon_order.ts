/**
 * The order of a file's daemons: an entry's `after` names the daemons it
 * starts after (each once ready) and stops before. Checked once (a name not
 * in the file, a cycle); `up` starts by waves of what is ready to start,
 * `down` stops in the reverse order.
 *
 * @module
 */
import type { FileDaemon } from "./daemon_file.ts";
import { didYouMean } from "./parse.ts";
import { DaemonFileError } from "./usage.ts";

/**
 * Checks every `after` of the file at `path`: names of its daemons, with no
 * cycle.
 * @throws {DaemonFileError} naming each daemon at fault, or the cycle.
 */
export function checkOrder(path: string, daemons: readonly FileDaemon[]): void {
  const names = daemons.map((d) => d.name);
  const unknown: string[] = [];
  for (const d of daemons) {
    for (const name of d.after) {
      if (!names.includes(name)) {
        unknown.push(
          `${d.label} comes after ${JSON.stringify(name)}, which is not in the file${
            didYouMean(name, names)
          }`,
        );
      }
    }
  }
  if (unknown.length) throw new DaemonFileError(`${path}: ${unknown.join("; ")}`);
  const cycle = findCycle(daemons);
  if (cycle) {
    throw new DaemonFileError(
      `${path}: "after" goes round in a cycle: ${cycle.map((n) => JSON.stringify(n)).join(" → ")}`,
    );
  }
}

/** A cycle of `after` (its first name again at its end), or undefined. */
function findCycle(daemons: readonly FileDaemon[]): string[] | undefined {
  const byName = new Map(daemons.map((d) => [d.name, d]));
  const state = new Map<string, "open" | "done">();
  const trail: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "open") return [...trail.slice(trail.indexOf(name)), name];
    state.set(name, "open");
    trail.push(name);
    for (const next of byName.get(name)?.after ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    trail.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const d of daemons) {
    const found = visit(d.name);
    if (found) return found;
  }
  return undefined;
}

/**
 * The daemons named and, first, all they come after (as systemd's
 * `Requires=` pulls them in), in the file's order.
 */
export function withDependencies(
  daemons: readonly FileDaemon[],
  names: readonly string[],
): FileDaemon[] {
  const byName = new Map(daemons.map((d) => [d.name, d]));
  const wanted = new Set<string>();
  const add = (name: string) => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const next of byName.get(name)?.after ?? []) add(next);
  };
  names.forEach(add);
  return daemons.filter((d) => wanted.has(d.name));
}

/** What became of a daemon in a run in order. */
export type Outcome = { ok: true } | { ok: false; blockedBy?: string };

/**
 * Runs `step` on each daemon once each of those it depends on (among
 * `daemons`, by `dependsOn`) has succeeded, as many at once as can be; one
 * whose dependency failed is not run, its outcome naming that dependency.
 * `begin` starts a step and returns a handle; `wait` blocks until one of
 * the running steps ends and says which, and whether it succeeded.
 */
export function runInOrder<H>(
  daemons: readonly FileDaemon[],
  dependsOn: (d: FileDaemon) => readonly string[],
  begin: (d: FileDaemon) => H | { done: boolean },
  wait: (running: ReadonlyMap<H, FileDaemon>) => [H, boolean],
  blocked: (d: FileDaemon, by: string) => void,
): Map<string, Outcome> {
  const inSet = new Set(daemons.map((d) => d.name));
  const outcomes = new Map<string, Outcome>();
  const running = new Map<H, FileDaemon>();
  const pending = [...daemons];
  const settle = (d: FileDaemon, ok: boolean) => outcomes.set(d.name, { ok });
  for (;;) {
    // Start (or refuse) every pending daemon whose dependencies are settled.
    let changed = true;
    while (changed) {
      changed = false;
      for (const d of [...pending]) {
        const deps = dependsOn(d).filter((n) => inSet.has(n));
        if (!deps.every((n) => outcomes.has(n))) continue;
        pending.splice(pending.indexOf(d), 1);
        changed = true;
        const failed = deps.find((n) => !outcomes.get(n)!.ok);
        if (failed !== undefined) {
          outcomes.set(d.name, { ok: false, blockedBy: failed });
          blocked(d, failed);
          continue;
        }
        const handle = begin(d);
        if (typeof handle === "object" && handle !== null && "done" in handle) {
          settle(d, (handle as { done: boolean }).done);
        } else running.set(handle as H, d);
      }
    }
    if (running.size === 0) break;
    const [handle, ok] = wait(running);
    const d = running.get(handle)!;
    running.delete(handle);
    settle(d, ok);
  }
  return outcomes;
}

/** The daemons that come after `d` among `daemons` (its dependents). */
export function dependentsOf(daemons: readonly FileDaemon[], d: FileDaemon): string[] {
  return daemons.filter((other) => other.after.includes(d.name)).map((o) => o.name);
}
