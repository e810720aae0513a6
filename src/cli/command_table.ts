/**
 * The commands of `daemonize`, each described once: the words that choose
 * it, its lines in the overview of `--help`, and where else it is offered.
 * The parser, the help and the fuzzer read this table.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";
import type { Parsed } from "./parsed.ts";

/** What a command line can mean. */
export type CommandName = Parsed["command"];

/** One command. */
export interface CommandSpec {
  /** What it parses to, and the topic of its help. */
  readonly name: CommandName;
  /** The words that choose it, suggested for a typo; the first is the one help shows. */
  readonly words: readonly string[];
  /** Words that choose it too but are never suggested (old spellings, flags). */
  readonly hidden?: readonly string[];
  /** Its lines in the overview: the arguments after its word, and what it does. */
  readonly overview: readonly (readonly [usage: string, summary: string])[];
  /** The column its arguments start at in the overview, to align them with their group's. */
  readonly pad?: number;
  /** Named when the command is missing. */
  readonly basic?: boolean;
  /** A self-controlling script (`control()`) takes it too. */
  readonly script?: boolean;
}

const TARGET = "NAME | --pid-file P";
/** The daemons a command about a set takes (and one by `--pid-file`, in its help). */
const SET = "NAME... | -f F | --all";

/** Every command, in the order the overview lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "start",
    words: ["start"],
    overview: [
      ["[options] -- PROGRAM [ARGS...]", "run any program as a daemon"],
      ["NAME", "start a stopped daemon as last started"],
    ],
    basic: true,
    script: true,
  },
  {
    name: "stop",
    words: ["stop"],
    overview: [[SET, `stop them (${DEFAULTS.stopSignal}, then SIGKILL)`]],
    pad: 8,
    basic: true,
    script: true,
  },
  {
    name: "restart",
    words: ["restart"],
    overview: [[SET, "stop, then start as before"]],
    pad: 8,
    basic: true,
    script: true,
  },
  {
    name: "reload",
    words: ["reload"],
    overview: [[SET, `send ${DEFAULTS.reloadSignal} (or its --reload-signal)`]],
    pad: 8,
    basic: true,
    script: true,
  },
  {
    name: "status",
    words: ["status", "list"],
    hidden: ["ls"],
    overview: [["[NAME... | -f F] [--json]", "show them, a table (list), or --prometheus"]],
    pad: 8,
    basic: true,
    script: true,
  },
  {
    name: "logs",
    words: ["logs"],
    overview: [["[NAME...] [-n N] [-f]", "show (and follow) their logs, or all"]],
    pad: 8,
    basic: true,
  },
  {
    name: "forget",
    words: ["forget"],
    hidden: ["delete"],
    overview: [[TARGET, "remove a stopped daemon's saved start"]],
    pad: 8,
    basic: true,
  },
  {
    name: "run",
    words: ["run"],
    overview: [["[options] -- PROGRAM [ARGS...]", "the same set-up, in the foreground"]],
    basic: true,
    script: true,
  },
  {
    name: "up",
    words: ["up"],
    overview: [["[-f FILE] [NAME...]", "start a file's daemons; restart the changed"]],
    pad: 5,
  },
  {
    name: "down",
    words: ["down"],
    overview: [["[-f FILE] [NAME...]", "stop them (status -f FILE lists them)"]],
    pad: 5,
  },
  {
    name: "enable",
    words: ["enable"],
    overview: [["[-f FILE] [--user] [--print]", "bring the file's daemons up at every boot"]],
    pad: 8,
  },
  {
    name: "disable",
    words: ["disable"],
    overview: [["[-f FILE] [--user]", "no longer (systemd unit removed)"]],
    pad: 8,
  },
  {
    name: "unit",
    words: ["unit"],
    overview: [["[options] -- PROGRAM | -f F [NAME]", "print a systemd unit for the daemon"]],
  },
  {
    name: "serve",
    words: ["serve"],
    overview: [["[--listen ADDR:PORT]", "metrics, a JSON API, a live status page"]],
    pad: 7,
  },
  { name: "help", words: ["help"], hidden: ["--help", "-h"], overview: [] },
  { name: "version", words: [], hidden: ["--version", "-V"], overview: [] },
];

/** The commands a self-controlling script takes, in the overview's order. */
export const SCRIPT_COMMANDS: readonly string[] = COMMANDS.filter((c) => c.script)
  .map((c) => c.words[0]!);
