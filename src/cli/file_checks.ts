/**
 * What `up` checks of a file's daemons before it starts any: each program
 * is found (as its daemon will look for it), each user and group exists,
 * each watched path exists and fits in the host's inotify watches, and
 * each cron expression is right.
 * A mistake names the file and the entry, with the closest name there is.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { DaemonError } from "../errors.ts";
import { getenv, readDirectory, readTextFileIfAny } from "../host.ts";
import { joinPath, resolvePath } from "../paths.ts";
import type { FileDaemon } from "./daemon_file.ts";
import { didYouMean } from "./parse.ts";
import { DaemonFileError } from "./usage.ts";
import { checkWatch } from "./watch_options.ts";
import { checkFileSchedules } from "./cron_options.ts";

/**
 * Checks the programs, users and groups of `daemons` of the file at `path`.
 * @throws {DaemonFileError} naming the file, the entry and what is missing.
 */
export async function checkPrograms(path: string, daemons: readonly FileDaemon[]): Promise<void> {
  const { DEFAULT_PATH, findProgram } = await import("../daemon/program.ts");
  const { resolveOwner } = await import("../daemon/privileges.ts");
  for (const d of daemons) {
    const start = d.parsed;
    await checkFileSchedules(path, d);
    const name = start.program[0]!;
    const pathVariable = start.env.PATH ?? (start.clearEnv ? DEFAULT_PATH : getenv("PATH"));
    const root = start.options.chrootDirectory;
    const inside = start.options.workingDirectory ?? "/";
    const directory = root === undefined ? inside : joinPath(root, resolvePath("/", inside));
    try {
      // Inside a root directory, PATH is the jail's: only a path is checked.
      if (root === undefined || name.includes("/")) findProgram(name, pathVariable, directory);
      resolveOwner(start.options.user, start.options.group);
    } catch (error) {
      if (!(error instanceof DaemonError)) throw error;
      const hint = error.step === "program" && !name.includes("/")
        ? didYouMean(name, programsIn(pathVariable ?? DEFAULT_PATH, name))
        : error.step === "user"
        ? didYouMean(String(start.options.user), namesIn("/etc/passwd"))
        : error.step === "group"
        ? didYouMean(String(start.options.group), namesIn("/etc/group"))
        : "";
      throw new DaemonFileError(`${path}: ${d.label}: ${error.message}${hint}`);
    }
    try {
      if (start.supervision?.watch) checkWatch(start.supervision.watch, "up");
    } catch (error) {
      throw new DaemonFileError(`${path}: ${d.label}: ${(error as Error).message}`);
    }
  }
}

/** Executable files of the `PATH` directories whose name is close to `name` in length. */
function programsIn(pathVariable: string, name: string): string[] {
  const found = new Set<string>();
  const libc = getLibc();
  for (const dir of pathVariable.split(":")) {
    let entries: string[];
    try {
      entries = readDirectory(dir || ".");
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (Math.abs(entry.length - name.length) > 2) continue;
      try {
        const { mode } = libc.fileIdAt(joinPath(dir || ".", entry));
        if ((mode & 0o111) !== 0) found.add(entry);
      } catch {
        // A broken link, or gone meanwhile.
      }
    }
  }
  return [...found].sort();
}

/** The names (first fields) of a `name:…` database file such as /etc/passwd. */
function namesIn(file: string): string[] {
  return (readTextFileIfAny(file) ?? "").split("\n")
    .map((line) => line.slice(0, line.indexOf(":")))
    .filter((name) => name !== "" && !name.startsWith("#"));
}
