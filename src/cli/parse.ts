/**
 * The command line of `daemonize`, parsed into what to do: the command
 * chosen by the command table, its arguments by that command's parser.
 * Pure: no I/O.
 *
 * @module
 */
import { type CommandName, COMMANDS, type CommandSpec } from "./command_table.ts";
import { parseEnable } from "./parse_enable.ts";
import { parseStart } from "./parse_start.ts";
import { parseTarget, parseUnit, parseUpDown } from "./parse_target.ts";
import { parseServe } from "../observe/serve_parse.ts";
import type { Parsed } from "./parsed.ts";
import { didYouMean, quote, UsageError } from "./usage.ts";

export type { Parsed, StartCommand, Target, TargetSet } from "./parsed.ts";
export { didYouMean, quote, UsageError } from "./usage.ts";

/** How each command's arguments (after its word) are parsed. */
const PARSERS: { readonly [C in CommandName]: (args: readonly string[]) => Parsed } = {
  help: (args) => ({ command: "help", topic: args[0] }),
  version: () => ({ command: "version" }),
  start: (args) => parseStart("start", args),
  run: (args) => parseStart("run", args),
  unit: parseUnit,
  up: (args) => parseUpDown("up", args),
  down: (args) => parseUpDown("down", args),
  enable: (args) => parseEnable("enable", args),
  disable: (args) => parseEnable("disable", args),
  stop: (args) => parseTarget("stop", args),
  restart: (args) => parseTarget("restart", args),
  reload: (args) => parseTarget("reload", args),
  status: (args) => parseTarget("status", args),
  forget: (args) => parseTarget("forget", args),
  logs: (args) => parseTarget("logs", args),
  serve: parseServe,
};

const BY_WORD: ReadonlyMap<string, CommandSpec> = new Map(
  COMMANDS.flatMap((c) => [...c.words, ...c.hidden ?? []].map((word) => [word, c])),
);

/** Parses the arguments of `daemonize` (without the program's own name). */
export function parseArgs(args: readonly string[]): Parsed {
  const [first, ...rest] = args;
  if (first === undefined) {
    const basic = COMMANDS.filter((c) => c.basic).map((c) => c.words[0]);
    throw new UsageError(`missing command (${basic.join(", ")})`);
  }
  const spec = BY_WORD.get(first);
  if (spec === undefined) {
    const words = COMMANDS.flatMap((c) => c.words);
    throw new UsageError(`unknown command ${quote(first)}${didYouMean(first, words)}`);
  }
  return PARSERS[spec.name](rest);
}
