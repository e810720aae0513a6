/**
 * The daemons a command about a set acts on (`stop a b`, `restart -f
 * FILE`, `status --all`), each resolved once, before any is acted on: a
 * name never known is kept as a member with the line that says so, so that
 * the others are still acted on.
 *
 * @module
 */
import { readDirectory } from "../host.ts";
import type { FileDaemon } from "./daemon_file.ts";
import type { Target, TargetSet } from "./parse.ts";
import { savedNames } from "./saved_start.ts";
import { stateDirs, validName } from "./state.ts";
import { neverKnown, type Resolved, resolveTarget } from "./targets.ts";

/** One daemon of a set. */
export interface Member extends Resolved {
  /** Its entry, when the set is a file's daemons. */
  readonly entry?: FileDaemon;
  /** Why it can't be acted on (a name never known), when it can't. */
  readonly unknown?: string;
}

/** Whether a set is one daemon, by name or pid file: the commands' single form. */
export function isSingle(set: TargetSet): boolean {
  return set.targets.length === 1 && set.file === undefined && !set.all;
}

/** Every known daemon's name: those with a saved start, and every pid file of the state folder. */
export function knownNames(): string[] {
  const names = new Set(savedNames());
  try {
    for (const file of readDirectory(stateDirs().run)) {
      const name = file.endsWith(".pid") ? file.slice(0, -".pid".length) : "";
      if (validName(name)) names.add(name);
    }
  } catch {
    // No state folder yet: no daemons.
  }
  return [...names].sort();
}

/**
 * The members of `set`, in the order given (a file's in its order, all by
 * name). Names never known are members with `unknown` set, except for
 * `status`, which says of any name whether it runs.
 */
export async function membersOf(set: TargetSet, checkKnown: boolean): Promise<Member[]> {
  if (set.file !== undefined) {
    const { chosen, pidFileOf } = await import("./stack.ts");
    const names = set.targets.flatMap((t) => "name" in t ? [t.name] : []);
    return chosen(set.file, names).map((d) => ({
      name: d.name,
      pidFile: pidFileOf(d),
      savedName: d.name,
      entry: d,
    }));
  }
  const targets: Target[] = set.all ? knownNames().map((name) => ({ name })) : [...set.targets];
  return targets.map((target) => {
    const unknown = checkKnown ? neverKnown(target, false) : undefined;
    const t = resolveTarget(target);
    return unknown ? { ...t, unknown } : t;
  });
}
