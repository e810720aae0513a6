/**
 * The arguments of the commands about daemons already known: by name or
 * pid file (`stop`, `restart`, `reload`, `status`, `forget`, `logs`), or by
 * a file of daemons (`up`, `down`, `unit -f`).
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";
import { eitherOf, scan, type Scanned, single } from "./args.ts";
import { anySignal, count, daemonName, seconds } from "./option_values.ts";
import { parseStart } from "./parse_start.ts";
import type { Parsed, StartCommand, Target } from "./parsed.ts";
import { quote, UsageError } from "./usage.ts";

const HELP: ReadonlySet<string> = new Set(["--help", "-h"]);

/** A command about one daemon, by NAME or `--pid-file`. */
export function parseTarget(
  command: "stop" | "restart" | "reload" | "status" | "forget" | "logs",
  args: readonly string[],
): Parsed {
  const values = new Set(["--pid-file"]);
  if (command === "logs") values.add("-n").add("--lines");
  if (command === "stop" || command === "restart") values.add("--timeout");
  if (command === "stop") values.add("--signal");
  const flags = new Set(HELP);
  if (command === "status") flags.add("--json");
  if (command === "status") values.add("-f").add("--file");
  if (command === "logs") flags.add("-f").add("--follow");
  const s = scan(command, args, values, flags, false);
  if (s.rest !== undefined) s.positionals.push(...s.rest);
  if (s.flags.has("--help") || s.flags.has("-h")) {
    return { command: "help", topic: command };
  }
  if (s.positionals.length > 1) {
    throw new UsageError(`unexpected argument ${quote(s.positionals[1]!)}`, command);
  }
  const pidFile = single(s, "--pid-file", command);
  const name = s.positionals[0] === undefined
    ? undefined
    : daemonName(s.positionals[0], "NAME", command);
  if (name !== undefined && pidFile !== undefined) {
    throw new UsageError("give a NAME or --pid-file, not both", command);
  }
  const target: Target | undefined = pidFile !== undefined
    ? { pidFile }
    : name !== undefined
    ? { name }
    : undefined;
  if (command === "status") {
    const file = fileOption(s, command);
    if (file !== undefined && target !== undefined) {
      throw new UsageError("give a NAME or --file, not both", command);
    }
    return { command, target, json: s.flags.has("--json"), file };
  }
  if (!target) throw new UsageError("missing NAME or --pid-file", command);
  if (command === "reload" || command === "forget") return { command, target };
  if (command === "logs") {
    const text = eitherOf(s, "-n", "--lines", command);
    const lines = text === undefined ? DEFAULTS.logLines : count(text, "-n", command);
    return { command, target, lines, follow: s.flags.has("-f") || s.flags.has("--follow") };
  }
  const signalText = single(s, "--signal", command);
  const signal = signalText === undefined
    ? DEFAULTS.stopSignal
    : anySignal(signalText, "--signal", command);
  const timeout = single(s, "--timeout", command);
  return {
    command,
    target,
    timeout: timeout === undefined ? DEFAULTS.stopTimeout : seconds(timeout, "--timeout", command),
    signal,
  };
}

/** `-f FILE` or `--file FILE`, given once. */
function fileOption(s: Scanned, command: string): string | undefined {
  const file = eitherOf(s, "-f", "--file", command);
  if (file === "") throw new UsageError("invalid --file: empty", command);
  return file;
}

/** `unit [start options] -- PROGRAM`, or `unit -f FILE [NAME]` (without NAME, every daemon). */
export function parseUnit(args: readonly string[]): Parsed {
  if (args[0] === "-f" || args[0] === "--file" || /^--file=/.test(args[0] ?? "")) {
    const s = scan("unit", args, new Set(["-f", "--file"]), HELP, false);
    if (s.flags.size) return { command: "help", topic: "unit" };
    if (s.rest !== undefined) s.positionals.push(...s.rest);
    if (s.positionals.length > 1) {
      throw new UsageError("give the NAME of one daemon of the file, or none for all", "unit");
    }
    return {
      command: "unit",
      start: undefined,
      file: fileOption(s, "unit"),
      name: s.positionals.length ? daemonName(s.positionals[0]!, "NAME", "unit") : undefined,
    };
  }
  const start = parseStart("start", args, "unit");
  if (start.command === "help") return { command: "help", topic: "unit" };
  return { command: "unit", start: start as StartCommand, file: undefined, name: undefined };
}

/** `up` or `down` `[-f FILE] [NAME...]`. */
export function parseUpDown(command: "up" | "down", args: readonly string[]): Parsed {
  const s = scan(command, args, new Set(["-f", "--file"]), HELP, false);
  if (s.flags.size) return { command: "help", topic: command };
  if (s.rest !== undefined) s.positionals.push(...s.rest);
  return {
    command,
    file: fileOption(s, command),
    names: s.positionals.map((name) => daemonName(name, "NAME", command)),
  };
}
