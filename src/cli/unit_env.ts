/**
 * What a unit reads its variables from, so that no value is in the unit:
 * the `--env` values go to a file of mode 0600 written in systemd's
 * `EnvironmentFile=` grammar, and each `--env-file` is checked for lines
 * systemd reads otherwise.
 *
 * The values' file is `$DAEMONIZE_HOME/NAME.env` when that is set, else
 * `/etc/daemonize/NAME.env` for root and
 * `${XDG_CONFIG_HOME:-~/.config}/daemonize/NAME.env` for others: beside the
 * configuration, not in `/run`, which a reboot empties.
 *
 * @module
 */
import { DaemonError } from "../errors.ts";
import {
  cwd,
  effectiveUid,
  getenv as hostGetenv,
  homeOf,
  makeDirectory,
  readTextFileIfAny,
  removeFile,
  writeTextFile,
} from "../host.ts";
import { joinPath as join, resolvePath } from "../paths.ts";
import { readEnvFile } from "./env_file.ts";
import { quote, UsageError } from "./usage.ts";

/** The first line of a values file: what tells it from a file of the user's. */
function header(name: string): string {
  return `# daemonize: the --env values of unit ${name} (written by 'daemonize unit'; mode 0600)`;
}

/** Where the `--env` values of daemon `name`'s unit go. */
export function unitEnvPath(
  name: string,
  getenv: (name: string) => string | undefined = hostGetenv,
  uid: number = effectiveUid(),
): string {
  const home = getenv("DAEMONIZE_HOME");
  if (home) return join(resolvePath(cwd(), home), `${name}.env`);
  if (uid === 0) return `/etc/daemonize/${name}.env`;
  const config = getenv("XDG_CONFIG_HOME") ||
    join(getenv("HOME") || homeOf(uid) || "/", ".config");
  return join(resolvePath(cwd(), config), "daemonize", `${name}.env`);
}

/**
 * One variable as systemd's `EnvironmentFile=` reads it back exactly:
 * single-quoted (taken literally, line breaks too), or double-quoted with
 * `\`, `"`, `$` and `` ` `` escaped when the value holds a single quote.
 * @throws {UsageError} for a name systemd would drop.
 */
export function systemdAssignment(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new UsageError(
      `--env ${
        quote(name)
      }: systemd takes only names of letters, digits and _, not starting with a digit`,
      "unit",
    );
  }
  if (!value.includes("'")) return `${name}='${value}'`;
  return `${name}="${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

/**
 * Writes the `--env` values of daemon `name`'s unit to `path` (mode 0600,
 * whole or not at all), or removes the file it wrote there once there are
 * none. A file of the user's there is never overwritten.
 */
export function writeUnitEnv(path: string, name: string, env: Readonly<Record<string, string>>) {
  const lines = Object.entries(env).map(([k, v]) => systemdAssignment(k, v));
  const old = readTextFileIfAny(path);
  const ours = old === undefined || old.startsWith(`${header(name)}\n`);
  if (!ours) {
    throw new DaemonError(
      "options",
      `${path} is not a file of daemonize's (the unit's --env values go there): move it away`,
    );
  }
  if (lines.length === 0) {
    if (old !== undefined) removeFile(path);
    return;
  }
  makeDirectory(path.slice(0, path.lastIndexOf("/")) || "/", 0o700);
  writeTextFile(path, [header(name), ...lines].join("\n") + "\n", 0o600);
}

/**
 * The notes for the environment files of a unit: each file is read (a
 * mistake in it is refused as at a start), and its lines that systemd reads
 * otherwise are named by number, never shown.
 */
export function envFileNotes(paths: readonly string[], directory: string): string[] {
  const notes: string[] = [];
  for (const path of paths) {
    const { differences } = readEnvFile(path, directory, "unit");
    if (differences.length === 0) continue;
    const lines = differences.map((d) => `line ${d.line}: ${d.reason}`).join("; ");
    notes.push(
      `--env-file ${
        resolvePath(directory, path)
      } is read otherwise by systemd (${lines}): the unit names it all the same`,
    );
  }
  return notes;
}
