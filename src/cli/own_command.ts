/**
 * A command of `daemonize` run as a process of its own, waited for: each
 * daemon of a set is started by a command of its own, since a daemon's
 * set-up runs its start command again, which must be that daemon's alone.
 *
 * @module
 */
import { scriptArgs } from "../host.ts";
import { withoutEnvValues } from "./env_values.ts";

/**
 * A function that starts `daemonize ARGS...` (this same program) and
 * returns its pid, without waiting: the `--env` values of a start go in its
 * environment, out of the process list.
 */
export async function ownCommandSpawner(): Promise<(args: readonly string[]) => number> {
  const { sameCommand } = await import("../start/relaunch.ts");
  const { getLibc } = await import("../../ffi/libc.ts");
  const libc = getLibc();
  const self = sameCommand();
  const prefix = self.argv.slice(0, self.argv.length - scriptArgs().length);
  return (args) => {
    const hidden = withoutEnvValues(args);
    const names = new Set(hidden.env.map((e) => e.slice(0, e.indexOf("=") + 1)));
    return libc.spawn({
      path: self.path,
      argv: [...prefix, ...hidden.args],
      env: [...self.env.filter((e) => !names.has(e.slice(0, e.indexOf("=") + 1))), ...hidden.env],
      newSession: false,
      defaultSignals: [],
      fileActions: [],
    });
  };
}

/** Runs `daemonize ARGS...` and waits for it; its exit status (1 when it died of a signal). */
export async function runOwnCommand(args: readonly string[]): Promise<number> {
  const pid = (await ownCommandSpawner())(args);
  const { getLibc } = await import("../../ffi/libc.ts");
  const status = getLibc().waitpid(pid);
  return status && "code" in status ? status.code : 1;
}
