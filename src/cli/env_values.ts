/**
 * `--env` values out of sight: a process list shows every command line to
 * every user, so the command's own processes carry `--env NAME` only, and
 * the value travels in their environment (which only its owner can read).
 *
 * @module
 */
import { VALUE_FLAGS } from "./parse_start.ts";

/**
 * Calls `each` with the index and text of every `--env` entry in a start's
 * arguments (`args[0]` is the command), and the prefix it has in its word:
 * `"--env="` in `--env=NAME=VALUE`, `""` in `--env NAME=VALUE`. The
 * program's own arguments (after `--` or its name) are not looked at.
 */
function eachEnvEntry(
  args: readonly string[],
  each: (index: number, entry: string, prefix: string) => void,
): void {
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--" || !arg.startsWith("-") || arg === "-") return;
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (name === "--env") {
      if (eq > 0) each(i, arg.slice(eq + 1), "--env=");
      else if (i + 1 < args.length) each(++i, args[i]!, "");
    } else if (VALUE_FLAGS.has(name) && eq < 0) i++;
  }
}

/**
 * A start's arguments with each `--env NAME=VALUE` as `--env NAME`, and the
 * `NAME=VALUE` entries taken out, for the environment of the processes that
 * run these arguments.
 */
export function withoutEnvValues(args: readonly string[]): { args: string[]; env: string[] } {
  const out = [...args];
  const env: string[] = [];
  eachEnvEntry(args, (i, entry, prefix) => {
    const eq = entry.indexOf("=");
    if (eq <= 0) return;
    env.push(entry);
    out[i] = prefix + entry.slice(0, eq);
  });
  return { args: out, env };
}

/** A start's arguments as a message may show them: each `--env` value as `…`. */
export function maskEnvValues(args: readonly string[]): string[] {
  const out = [...args];
  eachEnvEntry(args, (i, entry, prefix) => {
    const eq = entry.indexOf("=");
    if (eq >= 0) out[i] = `${prefix}${entry.slice(0, eq)}=…`;
  });
  return out;
}

/**
 * A saved start's arguments with each `--env NAME` whose value was kept out
 * of them (in the environment it was started with, `env`) given that value
 * again, so that they read the same wherever they are parsed.
 */
export function withEnvValues(args: readonly string[], env: readonly string[]): string[] {
  const values = new Map(env.map((e) => [e.slice(0, e.indexOf("=")), e]));
  const out = [...args];
  eachEnvEntry(args, (i, entry, prefix) => {
    const kept = entry.includes("=") ? undefined : values.get(entry);
    if (kept !== undefined) out[i] = prefix + kept;
  });
  return out;
}
