/**
 * A file of daemons (`daemonize.json`): each entry is a `start` command line
 * written as JSON, its keys the long options in camelCase (`readyTimeout`
 * for `--ready-timeout`), `command` the program and its arguments, `env` an
 * object, `envFile` a path or an array of paths. Comments (`//` and
 * `/* … *\/`) are allowed. Each entry is checked
 * by the same parser as the command line; a mistake names the file, the
 * daemon and the key.
 *
 * @module
 */
import { resolvePath } from "../paths.ts";
import { didYouMean, parseArgs, type StartCommand, UsageError } from "./parse.ts";
import { DaemonFileError } from "./usage.ts";
import { START_OPTIONS } from "./start_options.ts";

export { DaemonFileError };

/** One daemon of the file: its name and the `start` arguments it stands for. */
export interface FileDaemon {
  readonly name: string;
  /** `start` and its arguments, as they would be typed. */
  readonly args: readonly string[];
  readonly parsed: StartCommand;
}

/** The text with its comments blanked out (strings are left alone). */
export function withoutComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      out += text.slice(start, i + 1);
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const comment = text.slice(i, end < 0 ? text.length : end + 2);
      out += comment.replace(/[^\n]/g, " ");
      i += comment.length - 1;
    } else out += c;
  }
  return out;
}

const KEYS = new Map(START_OPTIONS.filter((o) => o.flag !== "--exec").map((o) => [o.key, o]));

/**
 * The daemons of the file at `path` (in `directory`) whose text is `text`.
 * @throws {DaemonFileError} naming the file, the daemon and the key.
 */
export function parseDaemonFile(path: string, text: string, directory: string): FileDaemon[] {
  const fail = (what: string): never => {
    throw new DaemonFileError(`${path}: ${what}`);
  };
  let data: unknown;
  try {
    data = JSON.parse(withoutComments(text));
  } catch (error) {
    fail(`not valid JSON: ${(error as Error).message}`);
  }
  const list = (data as { daemons?: unknown } | null)?.daemons;
  if (typeof data !== "object" || data === null || Array.isArray(data) || !Array.isArray(list)) {
    fail('expected an object with a "daemons" array');
  }
  for (const key of Object.keys(data as object)) {
    if (key !== "daemons") fail(`unknown key ${JSON.stringify(key)} (only "daemons" is known)`);
  }
  const seen = new Set<string>();
  return (list as unknown[]).map((entry, index) => {
    const daemon = daemonEntry(directory, entry, index, fail);
    if (seen.has(daemon.name)) fail(`daemon ${JSON.stringify(daemon.name)} is listed twice`);
    seen.add(daemon.name);
    return daemon;
  });
}

function daemonEntry(
  directory: string,
  entry: unknown,
  index: number,
  fail: (what: string) => never,
): FileDaemon {
  const label = typeof (entry as { name?: unknown })?.name === "string"
    ? `daemon ${JSON.stringify((entry as { name: string }).name)}`
    : `daemon #${index + 1}`;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    fail(`${label}: expected an object`);
  }
  const e = entry as Record<string, unknown>;
  const command = e.command;
  if (
    !Array.isArray(command) || command.length === 0 ||
    !command.every((w) => typeof w === "string") || command[0] === ""
  ) {
    fail(`${label}: "command" must be the program and its arguments, as an array of strings`);
  }
  const args: string[] = [];
  for (const [key, value] of Object.entries(e)) {
    if (key === "command") continue;
    const option = KEYS.get(key);
    if (!option) {
      fail(`${label}: unknown key ${JSON.stringify(key)}${didYouMean(key, [...KEYS.keys()])}`);
    }
    const o = option!;
    if (o.value === undefined) {
      if (typeof value !== "boolean") fail(`${label}: "${key}" must be true or false`);
      if (value) args.push(o.flag);
    } else if (key === "env") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        fail(`${label}: "env" must be an object of strings`);
      }
      for (const [name, v] of Object.entries(value as object)) {
        if (typeof v !== "string") fail(`${label}: "env" value of ${name} must be a string`);
        args.push(`--env=${name}=${v}`);
      }
    } else if (key === "envFile") {
      const paths = typeof value === "string" ? [value] : value;
      if (!Array.isArray(paths) || !paths.every((p) => typeof p === "string" && p !== "")) {
        fail(`${label}: "envFile" must be a path or an array of paths`);
      }
      // Relative to the file, as cwd is.
      for (const p of paths as string[]) args.push(`--env-file=${resolvePath(directory, p)}`);
    } else {
      if (typeof value !== "string" && typeof value !== "number") {
        fail(`${label}: "${key}" must be a string or a number`);
      }
      // A relative directory is relative to the file, as in pm2's ecosystem file.
      const text = key === "cwd" ? resolvePath(directory, String(value)) : String(value);
      args.push(`${o.flag}=${text}`);
    }
  }
  const startArgs = ["start", ...args, "--", ...(command as string[])];
  let parsed;
  try {
    parsed = parseArgs(startArgs);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // The command line's words for the file's: --ready-port is readyPort there.
    const message = error.message.replace(
      /--[a-z-]+/g,
      (flag) => {
        const o = START_OPTIONS.find((o) => o.flag === flag);
        return o ? `"${o.key}"` : flag;
      },
    );
    fail(`${label}: ${message}`);
  }
  if (parsed!.command !== "start") fail(`${label}: not a daemon`);
  return { name: (parsed as StartCommand).name, args: startArgs, parsed: parsed as StartCommand };
}
