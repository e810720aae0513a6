/**
 * A script that controls itself, as the classic `python my_daemon.py
 * start|stop|restart|status`: one call reads the command from the script's
 * arguments and either returns the running daemon or does the command and
 * exits.
 *
 * @module
 */
import { type Daemon, daemonize, detach } from "../daemonize.ts";
import { DaemonError, isOptionError, permissionProblem } from "../errors.ts";
import { exit as processExit, mainModule, requireFfi, scriptArgs } from "../host.ts";
import { baseName } from "../paths.ts";
import { isContinued, isRelaunched } from "../start/relaunch.ts";
import type { ControlOptions, DaemonOptions } from "../options.ts";
import {
  goOnOutside,
  type Output,
  processOutput,
  reloadCommand,
  statusCommand,
  stopCommand,
} from "./commands.ts";
import { checkName, ensureDirs, namedFiles, stateDirs } from "./state.ts";

/**
 * How long `stop` waits before SIGKILL: the daemon's own `stopTimeout` for
 * its stop callbacks, and some more for it to exit.
 */
function stopWait(options: DaemonOptions): number {
  return (options.stopTimeout ?? 10_000) + 5_000;
}

function scriptName(): string {
  const base = baseName(mainModule());
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

/** What `control()` does, loaded when it is called. */
export async function runControl(
  options: ControlOptions = {},
  args: readonly string[] = scriptArgs(),
): Promise<Daemon> {
  requireFfi(baseName(mainModule()) || "script");
  const io = processOutput();
  const { name: given, ...daemonOptions } = options;
  const program = baseName(mainModule()) || "script";
  let name: string;
  try {
    name = checkName(given ?? scriptName());
  } catch (error) {
    return exit(io, program, error);
  }
  const files = namedFiles(name);
  const dirs = stateDirs();
  const pidFile = daemonOptions.pidFile ?? files.pidFile;
  const [command, ...rest] = args;
  if (
    rest.length > 0 || command === undefined || command === "--help" ||
    command === "-h"
  ) {
    const usage = (await import("./help.ts")).helpText(program, undefined, true);
    if (command === "--help" || command === "-h") {
      io.out(usage);
      processExit(0);
    }
    io.err(
      `${program}: expected one command: start, stop, restart, reload, status or run\n`,
    );
    processExit(2);
  }
  try {
    switch (command) {
      case "stop":
        if (await goOnOutside(name, pidFile, command, io)) processExit(0);
        processExit(
          await stopCommand(
            name,
            pidFile,
            stopWait(options),
            "TERM",
            io,
          ),
        );
        break;
      case "reload":
        processExit(reloadCommand(name, pidFile, "SIGHUP", io));
        break;
      case "status":
        processExit(statusCommand(name, pidFile, false, io));
        break;
      case "restart":
      case "start":
        if (command === "restart" && !isRelaunched()) {
          if (await goOnOutside(name, pidFile, command, io)) processExit(0);
          await stopCommand(name, pidFile, stopWait(options), "TERM", io);
        }
        return await startDaemon(name, pidFile, daemonOptions, files.log, dirs, io);
      case "run":
        ensureDirs(daemonOptions.pidFile ? [] : [dirs.run]);
        return await daemonize({
          ...daemonOptions,
          pidFile,
          detachProcess: false,
        });
      default:
        io.err(
          `${program}: unknown command ${JSON.stringify(command)} (see '${program} --help')\n`,
        );
        processExit(2);
    }
  } catch (error) {
    return exit(io, name, error);
  }
  throw new Error("unreachable");
}

async function startDaemon(
  name: string,
  pidFile: string,
  options: DaemonOptions,
  log: string,
  dirs: { run: string; log: string },
  io: Output,
): Promise<Daemon> {
  const logged = options.stdout === undefined || options.stderr === undefined;
  ensureDirs([
    ...(options.pidFile ? [] : [dirs.run]),
    ...(logged ? [dirs.log] : []),
  ]);
  const result = await detach({
    ...options,
    // Going on outside its daemon (a restart from inside it), this process
    // lost its parent on purpose: that is no supervisor's.
    ...(isContinued() ? { detachProcess: true } : {}),
    pidFile,
    stdout: options.stdout ?? log,
    stderr: options.stderr ?? log,
  });
  if (result.role === "daemon") return result.daemon;
  io.out(`${name} started (pid ${result.pid})\n`);
  processExit(0);
}

function exit(io: Output, program: string, error: unknown): never {
  if (isOptionError(error)) {
    io.err(`${program}: options: ${error.message}\n`);
    processExit(1);
  }
  if (error instanceof DaemonError) {
    io.err(`${program}: ${error.step}: ${error.message}\n`);
    processExit(1);
  }
  const permission = permissionProblem(error);
  if (permission) {
    io.err(`${program}: ${permission}\n`);
    processExit(2);
  }
  throw error;
}
