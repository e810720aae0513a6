/**
 * The `daemonize` command: parse, call the library, format. `main()` returns
 * the exit status; only the entry point exits.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };
import { getLibc } from "../../ffi/libc.ts";
import { daemonizeProgram } from "../daemonize.ts";
import { DaemonError } from "../errors.ts";
import { cwd, followChdir, writeTextFile } from "../host.ts";
import { resolvePath } from "../paths.ts";
import { isRelaunched } from "../relaunch.ts";
import {
  type Output,
  processOutput,
  reloadCommand,
  statusAllCommand,
  statusCommand,
  stopCommand,
} from "./commands.ts";
import { helpText } from "./format.ts";
import { parseArgs, type StartCommand, type Target, UsageError } from "./parse.ts";
import { checkName, ensureDirs, namedFiles, stateDirs } from "./state.ts";

/** The version printed by `--version`. */
export const VERSION: string = denoJson.version;

/** A start command as saved for `restart`. */
interface SavedStart {
  readonly args: readonly string[];
  readonly cwd: string;
}

function resolveTarget(
  target: Target,
): { name: string; pidFile: string; commandFile: string } {
  if ("pidFile" in target) {
    const pidFile = resolvePath(cwd(), target.pidFile);
    return { name: pidFile, pidFile, commandFile: `${pidFile}.json` };
  }
  const name = checkName(target.name);
  const files = namedFiles(name);
  return { name, pidFile: files.pidFile, commandFile: files.commandFile };
}

async function start(
  parsed: StartCommand,
  args: readonly string[],
  io: Output,
): Promise<number> {
  const name = checkName(parsed.name);
  const files = namedFiles(name);
  const dirs = stateDirs();
  ensureDirs([
    ...(parsed.pidFile === undefined ? [dirs.run] : []),
    ...(parsed.stdout === undefined || parsed.stderr === undefined ? [dirs.log] : []),
  ]);
  const pidFile = parsed.pidFile !== undefined ? resolvePath(cwd(), parsed.pidFile) : files.pidFile;
  const options = {
    ...parsed.options,
    pidFile,
    stdout: parsed.stdout ?? files.log,
    stderr: parsed.stderr ?? files.log,
  };
  const pid = await daemonizeProgram({
    command: parsed.program,
    env: parsed.env,
    clearEnv: parsed.clearEnv,
    grace: parsed.grace,
    notify: parsed.notify,
  }, options);
  const commandFile = parsed.pidFile !== undefined ? `${pidFile}.json` : files.commandFile;
  const saved: SavedStart = { args, cwd: cwd() };
  try {
    writeTextFile(commandFile, JSON.stringify(saved) + "\n", 0o644);
  } catch {
    io.err(
      `daemonize: warning: cannot save the start command to ${commandFile}; restart won't work\n`,
    );
  }
  io.out(`${name} started (pid ${pid})\n`);
  return 0;
}

async function restart(
  target: Target,
  timeout: number,
  io: Output,
): Promise<number> {
  const { name, pidFile, commandFile } = resolveTarget(target);
  let saved: SavedStart;
  try {
    saved = JSON.parse(getLibc().readTextFile(commandFile));
  } catch {
    throw new DaemonError(
      "options",
      `cannot restart ${name}: no saved start command in ${commandFile}; use start`,
    );
  }
  // The daemon's stages run this same command line again: only the first
  // process stops the old daemon.
  if (!isRelaunched()) await stopCommand(name, pidFile, timeout, "TERM", io);
  getLibc().chdir(saved.cwd);
  followChdir(saved.cwd);
  const parsed = parseArgs(saved.args);
  if (parsed.command !== "start") {
    throw new DaemonError("options", `bad saved command in ${commandFile}`);
  }
  return start(parsed, saved.args, io);
}

/** Runs the `daemonize` command with `args`; returns the exit status. */
export async function main(
  args: readonly string[],
  io: Output = processOutput(),
): Promise<number> {
  const program = "daemonize";
  try {
    const parsed = parseArgs(args);
    switch (parsed.command) {
      case "help":
        io.out(helpText(program, parsed.topic, false));
        return 0;
      case "version":
        io.out(`${program} ${VERSION}\n`);
        return 0;
      case "start":
      case "run":
        return await start(parsed, args, io);
      case "stop": {
        const t = resolveTarget(parsed.target);
        return await stopCommand(
          t.name,
          t.pidFile,
          parsed.timeout,
          parsed.signal,
          io,
        );
      }
      case "restart":
        return await restart(parsed.target, parsed.timeout, io);
      case "reload": {
        const t = resolveTarget(parsed.target);
        return reloadCommand(t.name, t.pidFile, io);
      }
      case "status": {
        if (!parsed.target) {
          return statusAllCommand(stateDirs().run, parsed.json, io);
        }
        const t = resolveTarget(parsed.target);
        return statusCommand(t.name, t.pidFile, parsed.json, io);
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const hint = error.command ? `${program} ${error.command} --help` : `${program} --help`;
      io.err(`${program}: ${error.message} (see '${hint}')\n`);
      return 2;
    }
    if (error instanceof DaemonError) {
      io.err(`${program}: ${error.step}: ${error.message}\n`);
      if (error.step === "program") return error.code === "EACCES" ? 126 : 127;
      return 1;
    }
    throw error;
  }
}
