/**
 * How an entry of a file of daemons differs from the start its daemon was
 * last started with: key by key, in the file's words (`readyPort 8080 →
 * 8081`), an `env` variable by its name only (its value may be a secret).
 * Pure: no I/O.
 *
 * @module
 */
import { scan, type Scanned } from "./args.ts";
import { withoutEnvValues } from "./env_values.ts";
import { START_OPTIONS } from "./start_options.ts";

/** One difference between a daemon's entry and its last start. */
export interface EntryChange {
  /** The entry's key: a start option's file key, `command`, or `env`. */
  readonly key: string;
  /** The variable, for a change of `env`. */
  readonly variable?: string;
  /** What it was, as text; undefined when it was not given (never set for `env`). */
  readonly from?: string | undefined;
  /** What it is now; undefined when it is no longer given (never set for `env`). */
  readonly to?: string | undefined;
}

/** A start's arguments and environment, as saved (see `saved_start.ts`). */
export interface StartArguments {
  /** `start`, its options, `--` and the program. */
  readonly args: readonly string[];
  /** The environment it ran with; undefined when not known (a start saved by 0.1). */
  readonly env?: readonly string[] | undefined;
}

const VALUES: ReadonlySet<string> = new Set(
  START_OPTIONS.filter((o) => o.value !== undefined).map((o) => o.flag),
);
const SWITCHES: ReadonlySet<string> = new Set(
  START_OPTIONS.filter((o) => o.value === undefined).map((o) => o.flag),
);

/** A start's options, each by flag (values in the order given), and its program. */
interface Split {
  readonly options: Scanned["values"];
  readonly switches: ReadonlySet<string>;
  readonly program: readonly string[];
  /** Each `--env` variable and its value (undefined: not known). */
  readonly env: ReadonlyMap<string, string | undefined>;
}

/** Splits a start's arguments; undefined when they are not a start this version reads. */
function split(start: StartArguments): Split | undefined {
  if (start.args[0] !== "start") return undefined;
  // Values given in the arguments, and those kept out of them (in the environment).
  const hidden = withoutEnvValues(start.args);
  let s: Scanned;
  try {
    s = scan("start", hidden.args.slice(1), VALUES, SWITCHES, true);
  } catch {
    return undefined;
  }
  const given = new Map(hidden.env.map((e) => [e.slice(0, e.indexOf("=")), e]));
  const environment = new Map(
    (start.env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
  );
  const env = new Map<string, string | undefined>();
  for (const name of s.values.get("--env") ?? []) {
    const entry = given.get(name);
    env.set(
      name,
      entry !== undefined
        ? entry.slice(entry.indexOf("=") + 1)
        : start.env === undefined
        ? undefined
        : environment.get(name),
    );
  }
  s.values.delete("--env");
  return { options: s.values, switches: s.flags, program: s.rest ?? [], env };
}

/**
 * How `entry` (the start a file's entry stands for) differs from `last` (the
 * start its daemon was last started with): one change per key, in the
 * option table's order, then `command`, then each `env` variable by name.
 * The name is not compared (it is how the two were matched). A start that
 * can't be read is one change of key `start`.
 */
export function entryChanges(entry: StartArguments, last: StartArguments): EntryChange[] {
  const a = split(last);
  const b = split(entry);
  if (!a || !b) return [{ key: "start" }];
  const changes: EntryChange[] = [];
  for (const o of START_OPTIONS) {
    if (o.flag === "--name" || o.flag === "--env") continue;
    if (o.value === undefined) {
      const was = a.switches.has(o.flag);
      const is = b.switches.has(o.flag);
      if (was !== is) {
        changes.push({ key: o.key, from: was ? "true" : undefined, to: is ? "true" : undefined });
      }
      continue;
    }
    const was = a.options.get(o.flag)?.join(" ");
    const is = b.options.get(o.flag)?.join(" ");
    if (was !== is) changes.push({ key: o.key, from: was, to: is });
  }
  if (a.program.join("\0") !== b.program.join("\0")) {
    changes.push({ key: "command", from: a.program.join(" "), to: b.program.join(" ") });
  }
  const names = [...new Set([...a.env.keys(), ...b.env.keys()])].sort();
  for (const name of names) {
    const was = a.env.has(name);
    const is = b.env.has(name);
    // A value not known (a start saved without its environment) counts as changed.
    const same = was && is && a.env.get(name) !== undefined &&
      a.env.get(name) === b.env.get(name);
    if (!same) {
      changes.push({
        key: "env",
        variable: name,
        ...(was ? { from: "" } : {}),
        ...(is ? { to: "" } : {}),
      });
    }
  }
  return changes;
}

/** The longest value a change shows before it is cut short. */
const SHOWN = 40;

function shown(value: string): string {
  return value.length > SHOWN ? `${value.slice(0, SHOWN - 1)}…` : value;
}

/**
 * The changes as a message shows them, never an `env` value:
 * `readyPort 8080 → 8081, restart added (always), env API_KEY changed`.
 */
export function describeChanges(changes: readonly EntryChange[]): string {
  return changes.map((c) => {
    if (c.key === "start") return "its saved start can't be compared";
    if (c.key === "env") {
      const how = c.from === undefined ? "added" : c.to === undefined ? "removed" : "changed";
      return `env ${c.variable} ${how}`;
    }
    if (c.from === undefined) {
      return c.to === "true" ? `${c.key} added` : `${c.key} added (${shown(c.to!)})`;
    }
    if (c.to === undefined) {
      return c.from === "true" ? `${c.key} removed` : `${c.key} removed (was ${shown(c.from)})`;
    }
    return `${c.key} ${shown(c.from)} → ${shown(c.to)}`;
  }).join(", ");
}
