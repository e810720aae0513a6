/**
 * `stop`, `restart`, `reload`, `status` and `logs` of a set of daemons:
 * several names, a file's daemons (`-f FILE`) or every known one (`--all`).
 * Each member is acted on in turn, whatever became of the others; the exit
 * status is 0 when each succeeded, else that of the first that did not.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";
import { startEntry } from "./apply_file.ts";
import {
  goOnOutside,
  type Output,
  reloadCommand,
  statusAllCommand,
  statusCommand,
  statusEachCommand,
  stopCommand,
} from "./commands.ts";
import { EXIT } from "./exit_codes.ts";
import { runOwnCommand } from "./own_command.ts";
import { parseArgs, type Parsed, UsageError } from "./parse.ts";
import { readSaved } from "./saved_start.ts";
import { stateDirs } from "./state.ts";
import { knownDaemons } from "./known_reports.ts";
import { type Member, membersOf } from "./target_set.ts";
import { logOf, logPathOf } from "./targets.ts";

/** The commands that act on a set. */
type SetCommand = Extract<Parsed, { command: "stop" | "restart" | "reload" | "status" | "logs" }>;

/** Runs `parsed` on each daemon of its set; the first non-zero status, else 0. */
export async function runOnSet(parsed: SetCommand, io: Output): Promise<number> {
  if (parsed.command === "status") {
    const byName = parsed.targets.length > 0 && parsed.file === undefined;
    // Names in words: a line each, as for one daemon (below). Otherwise one
    // table, JSON list or exposition: the names', the file's daemons or every known one.
    if (!byName || parsed.form !== "text") {
      const chosen = byName || parsed.file !== undefined;
      const listed = chosen
        ? (await membersOf(parsed, false)).map((m) => ({
          name: m.name,
          pidFile: m.pidFile,
          log: logPathOf(m),
        }))
        : knownDaemons();
      if (byName && parsed.form === "json") return await statusEachCommand(listed, io);
      return await statusAllCommand(stateDirs().run, listed, parsed.form, io, chosen);
    }
  }
  const members = await membersOf(parsed, parsed.command !== "status");
  if (parsed.command === "logs" && parsed.follow && members.length > 1) {
    throw new UsageError("-f follows the log of one daemon: give one NAME", "logs");
  }
  // Run from inside one of them (a hook of its own), it goes on outside it first.
  if (parsed.command === "stop" || parsed.command === "restart") {
    for (const m of members) {
      if (!m.unknown && await goOnOutside(m.name, m.pidFile, parsed.command, io)) return 0;
    }
  }
  // The names never known, on one line; the others are acted on all the same.
  const unknown = members.flatMap((m) => m.unknown ? [m.unknown] : []);
  if (unknown.length) io.err(`daemonize: ${unknown.join("; ")}\n`);
  let status = 0;
  for (const [i, m] of members.entries()) {
    const code = m.unknown ? EXIT.unknownName : await actOn(parsed, m, i, members.length, io);
    status ||= code;
  }
  return status;
}

/** The command done to one member (the `i`th of `count`); its exit status. */
async function actOn(
  parsed: SetCommand,
  m: Member,
  i: number,
  count: number,
  io: Output,
): Promise<number> {
  switch (parsed.command) {
    case "stop": {
      const stopped = await stopCommand(m.name, m.pidFile, parsed.timeout, parsed.signal, io);
      // Stopped on purpose: up leaves it stopped, after a reboot too.
      if (stopped === 0) (await import("./stop_mark.ts")).markStopped(m.name);
      return stopped;
    }
    case "restart": {
      if (m.entry) {
        // A file's daemon starts again as its entry now says.
        const stopped = await stopCommand(m.name, m.pidFile, parsed.timeout, parsed.signal, io);
        return stopped || await startEntry(m.entry, parsed.file);
      }
      // Each by a restart of its own: its set-up runs that command line again.
      return await runOwnCommand(["restart", m.name, `--timeout=${parsed.timeout / 1000}`]);
    }
    case "reload":
      return reloadCommand(m.name, m.pidFile, reloadSignalOf(m), io);
    case "status":
      return await statusCommand(m.name, m.pidFile, parsed.form, io);
    case "logs": {
      const { logsCommand } = await import("./logs.ts");
      if (count > 1) io.out(`${i ? "\n" : ""}==> ${m.name} <==\n`);
      return await logsCommand(m.name, logOf(m), parsed.lines, parsed.follow, io);
    }
  }
}

/** The signal `reload` sends a daemon: its last start's, else its entry's, else the default. */
function reloadSignalOf(m: Member): string {
  const saved = m.savedName === undefined ? undefined : readSaved(m.savedName);
  const again = saved ? parseArgs(saved.args) : undefined;
  if (again?.command === "start") return again.reloadSignal;
  return m.entry?.parsed.reloadSignal ?? DEFAULTS.reloadSignal;
}
