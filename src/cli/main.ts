/**
 * The `daemonize` command: parse, call the library, format. `main()` returns
 * the exit status; only the entry point exits. Each command's module loads
 * when it is the command run: status and stop load nothing of a start.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };
import { DEFAULTS } from "../defaults.ts";
import { relaunchWith } from "../start/relaunch.ts";
import {
  goOnOutside,
  type Output,
  processOutput,
  reloadCommand,
  statusCommand,
  stopCommand,
} from "./commands.ts";
import { parseArgs } from "./parse.ts";
import { reportFailure } from "./failure.ts";
import { readSaved } from "./saved_start.ts";
import { validName } from "./state.ts";
import { logOf, logPathOf, neverKnown, resolveTarget } from "./targets.ts";
import { isSingle } from "./target_set.ts";
import { EXIT } from "./exit_codes.ts";

/** The version printed by `--version`. */
export const VERSION: string = denoJson.version;

/** Runs the `daemonize` command with `args`; returns the exit status. */
export async function main(
  args: readonly string[],
  io: Output = processOutput(),
): Promise<number> {
  const program = "daemonize";
  try {
    const parsed = parseArgs(args);
    // Several daemons, a file's or all: each in turn.
    if ("targets" in parsed && !isSingle(parsed)) {
      return await (await import("./set_commands.ts")).runOnSet(parsed, io);
    }
    if (
      parsed.command === "stop" || parsed.command === "restart" ||
      parsed.command === "reload" || parsed.command === "forget" || parsed.command === "logs"
    ) {
      const target = parsed.command === "forget" ? parsed.target : parsed.targets[0]!;
      const unknown = neverKnown(target, parsed.command === "forget");
      if (unknown) {
        io.err(`${program}: ${unknown}\n`);
        return EXIT.unknownName;
      }
    }
    switch (parsed.command) {
      case "help":
        io.out((await import("./help.ts")).helpText(program, parsed.topic, false));
        return 0;
      case "version":
        io.out(`${program} ${VERSION} (${denoJson.name}: the Unix daemonizer for Deno and Bun)\n`);
        return 0;
      case "start":
      case "run": {
        const { loadSaved, replay, start } = await import("./start_command.ts");
        const t = parsed.bare && parsed.command === "start" && validName(parsed.program[0]!)
          ? resolveTarget({ name: parsed.program[0]! })
          : undefined;
        if (t?.savedName !== undefined && readSaved(t.savedName)) {
          const { saved, parsed: again } = loadSaved(t, "start");
          return await replay(saved, again, io);
        }
        // The daemon's processes run these arguments again: without --env values.
        const { withoutEnvValues } = await import("./env_values.ts");
        const hidden = withoutEnvValues(args);
        if (hidden.env.length) relaunchWith(hidden.args, hidden.env);
        return await start(parsed, args, io);
      }
      case "stop": {
        const t = resolveTarget(parsed.targets[0]!, false);
        if (await goOnOutside(t.name, t.pidFile, "stop", io)) return 0;
        const stopped = await stopCommand(
          t.name,
          t.pidFile,
          parsed.timeout,
          parsed.signal,
          io,
        );
        // Stopped on purpose: up leaves it stopped, after a reboot too.
        if (stopped === 0 && "name" in parsed.targets[0]!) {
          (await import("./stop_mark.ts")).markStopped(t.name);
        }
        return stopped;
      }
      case "restart": {
        const { restart } = await import("./start_command.ts");
        return await restart(parsed.targets[0]!, parsed.timeout, io);
      }
      case "reload": {
        const t = resolveTarget(parsed.targets[0]!);
        const saved = t.savedName === undefined ? undefined : readSaved(t.savedName);
        const again = saved ? parseArgs(saved.args) : undefined;
        const signal = again?.command === "start" ? again.reloadSignal : DEFAULTS.reloadSignal;
        return reloadCommand(t.name, t.pidFile, signal, io);
      }
      case "forget":
        return (await import("./forget.ts")).forget(parsed.target, io);
      case "logs": {
        const t = resolveTarget(parsed.targets[0]!, false);
        const { logsCommand } = await import("./logs.ts");
        return await logsCommand(t.name, logOf(t), parsed.lines, parsed.follow, io);
      }
      case "status": {
        const t = resolveTarget(parsed.targets[0]!, false);
        return await statusCommand(t.name, t.pidFile, parsed.form, io, logPathOf(t));
      }
      case "unit":
        return await (await import("./unit_command.ts")).unitCommand(parsed, io);
      case "up":
        return await (await import("./stack.ts")).upCommand(
          parsed.file,
          parsed.names,
          io,
          parsed.noRestart,
        );
      case "down":
        return await (await import("./stack.ts")).downCommand(parsed.file, parsed.names, io);
      case "serve":
        return await (await import("../observe/serve_command.ts")).serveCommand(parsed, io);
      case "enable":
      case "disable":
        return await (await import("./enable_command.ts")).enableCommand(parsed, io);
    }
  } catch (error) {
    return reportFailure((text) => io.err(text), program, error);
  }
}
