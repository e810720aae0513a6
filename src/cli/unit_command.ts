/**
 * `unit`: the systemd unit of a command line, or of a daemon of a file of
 * daemons, printed with the notes on what it can't carry over.
 *
 * @module
 */
import { cwd } from "../host.ts";
import type { Output } from "./commands.ts";
import { type StartCommand, UsageError } from "./parse.ts";
import { chosen } from "./stack.ts";

/** `unit`: prints the systemd unit of a command line or of a daemon of the file. */
export async function unitCommand(
  parsed: { start: StartCommand | undefined; file: string | undefined; name: string | undefined },
  io: Output,
): Promise<number> {
  const start = parsed.start ?? chosen(parsed.file, [parsed.name!])[0]!.parsed;
  const { findProgram } = await import("../daemon/program.ts");
  const { getLibc } = await import("../../ffi/libc.ts");
  const { unitText } = await import("./unit.ts");
  const userUnit = getLibc().ids().euid !== 0;
  if (userUnit && (start.options.user !== undefined || start.options.group !== undefined)) {
    throw new UsageError("--user and --group need a system unit: run unit as root", "unit");
  }
  const path = start.env.PATH ?? getLibc().getenv("PATH");
  const programPath = findProgram(start.program[0]!, path, cwd());
  const { envFileNotes, unitEnvPath, writeUnitEnv } = await import("./unit_env.ts");
  const notes = envFileNotes(start.envFiles, cwd());
  const envValuesFile = unitEnvPath(start.name);
  const unit = unitText(start, { programPath, directory: cwd(), userUnit, envValuesFile });
  // No value goes into the unit: the --env values go to a file of their own.
  writeUnitEnv(envValuesFile, start.name, start.env);
  if (Object.keys(start.env).length > 0) {
    notes.push(`the --env values are in ${envValuesFile} (mode 0600), which the unit reads`);
  }
  for (const note of [...unit.notes, ...notes]) io.err(`daemonize: note: ${note}\n`);
  io.out(unit.text);
  return 0;
}
