/**
 * A script that controls itself, as the classic `python my_daemon.py
 * start|stop|restart|status`: one call reads the command from the script's
 * arguments and either returns the running daemon or does the command and
 * returns its exit status.
 *
 * @module
 */
import { type Daemon, daemonize, detach } from "../daemonize.ts";
import { DEFAULTS } from "../defaults.ts";
import { mainModule, requireFfi, scriptArgs } from "../host.ts";
import { baseName } from "../paths.ts";
import { isContinued, isRelaunched } from "../start/relaunch.ts";
import type { ControlOptions, DaemonOptions } from "../options.ts";
import { SCRIPT_COMMANDS } from "./command_table.ts";
import {
  goOnOutside,
  type Output,
  processOutput,
  reloadCommand,
  statusCommand,
  stopCommand,
} from "./commands.ts";
import { EXIT } from "./exit_codes.ts";
import { reportFailure } from "./failure.ts";
import { checkName, ensureDirs, namedFiles, stateDirs } from "./state.ts";
import { alternatives } from "./usage.ts";

/** What `stop` waits beyond the daemon's `stopTimeout`, for it to exit once its callbacks are done. */
const EXIT_MARGIN = 5_000;

/**
 * How long `stop` waits before SIGKILL: the daemon's own `stopTimeout` for
 * its stop callbacks, and some more for it to exit.
 */
function stopWait(options: DaemonOptions): number {
  return (options.stopTimeout ?? DEFAULTS.stopTimeout) + EXIT_MARGIN;
}

function scriptName(): string {
  const base = baseName(mainModule());
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

/**
 * What `control()` does, loaded when it is called: the daemon, in the
 * daemon (or with `run`); else the exit status of the command it did.
 */
export async function runControl(
  options: ControlOptions = {},
  args: readonly string[] = scriptArgs(),
): Promise<Daemon | number> {
  requireFfi(baseName(mainModule()) || "script");
  const io = processOutput();
  const { name: given, ...daemonOptions } = options;
  const program = baseName(mainModule()) || "script";
  let name: string;
  try {
    name = checkName(given ?? scriptName());
  } catch (error) {
    return reportFailure((text) => io.err(text), program, error);
  }
  const files = namedFiles(name);
  const dirs = stateDirs();
  const pidFile = daemonOptions.pidFile ?? files.pidFile;
  const [command, ...rest] = args;
  if (
    rest.length > 0 || command === undefined || command === "--help" ||
    command === "-h"
  ) {
    if (command === "--help" || command === "-h") {
      io.out((await import("./help.ts")).helpText(program, undefined, true));
      return EXIT.ok;
    }
    io.err(`${program}: expected one command: ${alternatives(SCRIPT_COMMANDS)}\n`);
    return EXIT.usage;
  }
  try {
    switch (command) {
      case "stop":
        if (await goOnOutside(name, pidFile, command, io)) return EXIT.ok;
        return await stopCommand(name, pidFile, stopWait(options), DEFAULTS.stopSignal, io);
      case "reload":
        return reloadCommand(name, pidFile, DEFAULTS.reloadSignal, io);
      case "status":
        return await statusCommand(name, pidFile, "text", io);
      case "restart":
      case "start":
        if (command === "restart" && !isRelaunched()) {
          if (await goOnOutside(name, pidFile, command, io)) return EXIT.ok;
          await stopCommand(name, pidFile, stopWait(options), DEFAULTS.stopSignal, io);
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
        return EXIT.usage;
    }
  } catch (error) {
    return reportFailure((text) => io.err(text), name, error);
  }
}

/** Starts the daemon: the daemon in the daemon, the exit status in its starter. */
async function startDaemon(
  name: string,
  pidFile: string,
  options: DaemonOptions,
  log: string,
  dirs: { run: string; log: string },
  io: Output,
): Promise<Daemon | number> {
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
  return EXIT.ok;
}
