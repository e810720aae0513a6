/**
 * `stop`, `restart`, `reload`, `status` and `logs` of a set of daemons:
 * several names, a file's daemons (`-f FILE`) or every known one (`--all`).
 * Each member is acted on in turn, whatever became of the others; the exit
 * status is 0 when each succeeded, else that of the first that did not.
 * `logs` shows them all at once (`logs.ts`).
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
import { parseArgs, type Parsed } from "./parse.ts";
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
  // Run from inside one of them (a hook of its own), it goes on outside it first.
  if (parsed.command === "stop" || parsed.command === "restart") {
    for (const m of members) {
      if (!m.unknown && await goOnOutside(m.name, m.pidFile, parsed.command, io)) return 0;
    }
  }
  // The names never known, on one line; the others are acted on all the same.
  const unknown = members.flatMap((m) => m.unknown ? [m.unknown] : []);
  if (unknown.length) io.err(`daemonize: ${unknown.join("; ")}\n`);
  if (parsed.command === "logs") {
    const shown = await showLogs(parsed, members.filter((m) => !m.unknown), io);
    return unknown.length ? EXIT.unknownName : shown;
  }
  let status = 0;
  for (const m of members) {
    const code = m.unknown ? EXIT.unknownName : await actOn(parsed, m, io);
    status ||= code;
  }
  return status;
}

/** The command done to one member; its exit status. */
async function actOn(parsed: SetCommand, m: Member, io: Output): Promise<number> {
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
    case "logs":
      return await showLogs(parsed, [m], io);
  }
}

/**
 * `logs` of the set's known daemons: one's as `logs NAME` shows it, several
 * interleaved in time order, each line after its daemon's name.
 */
async function showLogs(
  parsed: Extract<SetCommand, { command: "logs" }>,
  known: readonly Member[],
  io: Output,
): Promise<number> {
  const { logsCommand, logsOfSet } = await import("./logs.ts");
  if (known.length === 1) {
    return await logsCommand(known[0]!.name, logOf(known[0]!), parsed.lines, parsed.follow, io);
  }
  if (known.length === 0) {
    if (parsed.all) io.err(`daemonize: no daemon known in ${stateDirs().run}: no log to show\n`);
    return 0;
  }
  const logs = known.map((m) => ({ name: m.name, path: logOf(m) }));
  return await logsOfSet(logs, parsed.lines, parsed.follow, io);
}

/** The signal `reload` sends a daemon: its last start's, else its entry's, else the default. */
function reloadSignalOf(m: Member): string {
  const saved = m.savedName === undefined ? undefined : readSaved(m.savedName);
  const again = saved ? parseArgs(saved.args) : undefined;
  if (again?.command === "start") return again.reloadSignal;
  return m.entry?.parsed.reloadSignal ?? DEFAULTS.reloadSignal;
}
