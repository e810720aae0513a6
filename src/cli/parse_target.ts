/**
 * The arguments of the commands about daemons already known: by names, pid
 * file, file of daemons or all (`stop`, `restart`, `reload`, `status`,
 * `logs`; `forget` by one name or pid file), or by a file of daemons (`up`,
 * `down`, `unit -f`).
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

/**
 * A command about daemons already known: one by NAME or `--pid-file`, or
 * (all but `forget`) several NAMEs, `-f FILE` (`--file` only for `logs`,
 * whose `-f` follows) and `--all`.
 */
export function parseTarget(
  command: "stop" | "restart" | "reload" | "status" | "forget" | "logs",
  args: readonly string[],
): Parsed {
  const many = command !== "forget";
  const values = new Set(["--pid-file"]);
  if (command === "logs") values.add("-n").add("--lines");
  if (command === "stop" || command === "restart") values.add("--timeout");
  if (command === "stop") values.add("--signal");
  const flags = new Set(HELP);
  if (command === "status") flags.add("--json").add("--prometheus");
  if (many) flags.add("--all");
  if (many) values.add("--file");
  if (many && command !== "logs") values.add("-f");
  if (command === "logs") flags.add("-f").add("--follow");
  const s = scan(command, args, values, flags, false);
  if (s.rest !== undefined) s.positionals.push(...s.rest);
  if (s.flags.has("--help") || s.flags.has("-h")) {
    return { command: "help", topic: command };
  }
  if (!many && s.positionals.length > 1) {
    throw new UsageError(`unexpected argument ${quote(s.positionals[1]!)}`, command);
  }
  const pidFile = single(s, "--pid-file", command);
  const names = s.positionals.map((name) => daemonName(name, "NAME", command));
  const file = !many
    ? undefined
    : command === "logs"
    ? nonEmpty(single(s, "--file", command), command)
    : fileOption(s, command);
  const all = s.flags.has("--all");
  if (pidFile !== undefined && (names.length || file !== undefined || all)) {
    throw new UsageError("give a NAME or --pid-file, not both", command);
  }
  if (all && (names.length || file !== undefined)) {
    throw new UsageError("--all takes no NAME and no --file", command);
  }
  const targets: Target[] = pidFile !== undefined ? [{ pidFile }] : names.map((name) => ({ name }));
  if (command === "status") {
    const json = s.flags.has("--json");
    const prometheus = s.flags.has("--prometheus");
    if (json && prometheus) throw new UsageError("give --json or --prometheus, not both", command);
    return {
      command,
      targets,
      file,
      all,
      form: json ? "json" : prometheus ? "prometheus" : "text",
    };
  }
  if (!targets.length && file === undefined && !all) {
    const more = many ? `, ${command === "logs" ? "--file" : "-f"} FILE or --all` : "";
    throw new UsageError(`missing NAME or --pid-file${more}`, command);
  }
  if (command === "forget") return { command, target: targets[0]! };
  if (command === "reload") return { command, targets, file, all };
  if (command === "logs") {
    const text = eitherOf(s, "-n", "--lines", command);
    const lines = text === undefined ? DEFAULTS.logLines : count(text, "-n", command);
    return {
      command,
      targets,
      file,
      all,
      lines,
      follow: s.flags.has("-f") || s.flags.has("--follow"),
    };
  }
  const signalText = single(s, "--signal", command);
  const signal = signalText === undefined
    ? DEFAULTS.stopSignal
    : anySignal(signalText, "--signal", command);
  const timeout = single(s, "--timeout", command);
  return {
    command,
    targets,
    file,
    all,
    timeout: timeout === undefined ? DEFAULTS.stopTimeout : seconds(timeout, "--timeout", command),
    signal,
  };
}

/** A file option's value, refused when empty. */
function nonEmpty(file: string | undefined, command: string): string | undefined {
  if (file === "") throw new UsageError("invalid --file: empty", command);
  return file;
}

/** `-f FILE` or `--file FILE`, given once. */
function fileOption(s: Scanned, command: string): string | undefined {
  return nonEmpty(eitherOf(s, "-f", "--file", command), command);
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

/** `up [--no-restart]` or `down`, `[-f FILE] [NAME...]`. */
export function parseUpDown(command: "up" | "down", args: readonly string[]): Parsed {
  const flags = command === "up" ? new Set([...HELP, "--no-restart"]) : HELP;
  const s = scan(command, args, new Set(["-f", "--file"]), flags, false);
  if (s.flags.has("--help") || s.flags.has("-h")) return { command: "help", topic: command };
  if (s.rest !== undefined) s.positionals.push(...s.rest);
  return {
    command,
    file: fileOption(s, command),
    names: s.positionals.map((name) => daemonName(name, "NAME", command)),
    ...(command === "up" ? { noRestart: s.flags.has("--no-restart") } : {}),
  };
}
