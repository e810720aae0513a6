/**
 * `unit`: the systemd unit of a command line, or of a daemon of a file of
 * daemons (or all of them), printed with the notes on what it can't carry
 * over.
 *
 * @module
 */
import { cwd } from "../host.ts";
import { resolvePath } from "../paths.ts";
import type { Output } from "./commands.ts";
import { type StartCommand, UsageError } from "./parse.ts";
import { chosen } from "./stack.ts";

/** `unit`: prints the systemd unit of a command line or of a daemon of the file (or every one). */
export async function unitCommand(
  parsed: { start: StartCommand | undefined; file: string | undefined; name: string | undefined },
  io: Output,
): Promise<number> {
  const { findProgram } = await import("../daemon/program.ts");
  const { getLibc } = await import("../../ffi/libc.ts");
  const { unitText } = await import("./unit.ts");
  const { envFileNotes, unitEnvPath, writeUnitEnv } = await import("./unit_env.ts");
  const { checkSchedules } = await import("./cron_options.ts");
  const userUnit = getLibc().ids().euid !== 0;
  const unitOf = (start: StartCommand) => {
    if (userUnit && (start.options.user !== undefined || start.options.group !== undefined)) {
      throw new UsageError("--user and --group need a system unit: run unit as root", "unit");
    }
    const path = start.env.PATH ?? getLibc().getenv("PATH");
    // A relative program is found in the daemon's directory, as a shell there would.
    const dir = start.options.chrootDirectory === undefined
      ? resolvePath(cwd(), start.options.workingDirectory ?? ".")
      : cwd();
    const programPath = findProgram(start.program[0]!, path, dir);
    const envValuesFile = unitEnvPath(start.name);
    const unit = unitText(start, { programPath, directory: cwd(), userUnit, envValuesFile });
    // No value goes into the unit: the --env values go to a file of their own.
    writeUnitEnv(envValuesFile, start.name, start.env);
    const notes = [...unit.notes, ...envFileNotes(start.envFiles, cwd())];
    if (Object.keys(start.env).length > 0) {
      notes.push(`the --env values are in ${envValuesFile} (mode 0600), which the unit reads`);
    }
    return { ...unit, notes };
  };
  if (parsed.start === undefined && parsed.name === undefined) {
    const { DEFAULTS } = await import("../defaults.ts");
    const { unitSet } = await import("./unit_set.ts");
    const { checkPrograms } = await import("./file_checks.ts");
    const daemons = chosen(parsed.file, []);
    for (const d of daemons) await checkSchedules(d.parsed);
    await checkPrograms(parsed.file ?? DEFAULTS.daemonFile, daemons);
    const set = unitSet(
      resolvePath(cwd(), parsed.file ?? DEFAULTS.daemonFile),
      daemons,
      (d) => unitOf(d.parsed),
      { userUnit },
    );
    for (const note of set.notes) io.err(`daemonize: note: ${note}\n`);
    io.out(set.files.map((f) => `# ${f.name}\n${f.text}`).join("\n"));
    return 0;
  }
  const start = parsed.start ?? chosen(parsed.file, [parsed.name!])[0]!.parsed;
  await checkSchedules(start);
  const unit = unitOf(start);
  for (const note of unit.notes) io.err(`daemonize: note: ${note}\n`);
  // With its timers, each unit is headed by its file's name, as a file's units are.
  const timers = unit.timers ?? [];
  const files = [{ name: `${start.name}.service`, text: unit.text }, ...timers];
  io.out(timers.length ? files.map((f) => `# ${f.name}\n${f.text}`).join("\n") : unit.text);
  return 0;
}
