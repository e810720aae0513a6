/**
 * A file of daemons (`daemonize.json`): each entry is a `start` command line
 * written as JSON, its keys the long options in camelCase (`readyTimeout`
 * for `--ready-timeout`), `command` the program and its arguments, `env` an
 * object, `envFile` a path or an array of paths. Comments (`//` and
 * `/* … *\/`) are allowed. Each entry is checked
 * by the same parser as the command line; a mistake names the file, the
 * daemon and the key. `after` (names of the file's daemons) is the file's
 * own key: see `daemon_order.ts`. Every relative path of an entry (`cwd`,
 * `log`, `stdout`, `stderr`, `pidFile`, `envFile`, `chroot`, `watch`) is relative to
 * the file, and a daemon without `cwd` runs in the file's directory.
 *
 * @module
 */
import { resolvePath } from "../paths.ts";
import { jsonMistake } from "./json_syntax.ts";
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
  /** The daemons of the file it starts after (and stops before). */
  readonly after: readonly string[];
  /** How the file's messages name it: `daemon "web" (entry 2)`. */
  readonly label: string;
}

/** Keys whose relative path is relative to the file. */
const PATH_KEYS = new Set([
  "cwd",
  "log",
  "stdout",
  "stderr",
  "pidFile",
  "envFile",
  "chroot",
  "watch",
]);

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
  const json = withoutComments(text);
  try {
    data = JSON.parse(json);
  } catch (error) {
    const at = jsonMistake(json);
    fail(
      at
        ? `line ${at.line}, column ${at.column}: not valid JSON: ${at.what}`
        : `not valid JSON: ${(error as Error).message}`,
    );
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
    ? `daemon ${JSON.stringify((entry as { name: string }).name)} (entry ${index + 1})`
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
  let after: string[] = [];
  // Without one of its own, a daemon runs where its file is (inside a root directory, at its root).
  if (e.cwd === undefined && e.chroot === undefined) args.push(`--cwd=${directory}`);
  for (const [key, value] of Object.entries(e)) {
    if (key === "command") continue;
    if (key === "after") {
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v !== "")) {
        fail(`${label}: "after" must be an array of daemon names`);
      }
      after = [...new Set(value as string[])];
      continue;
    }
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
      // A relative path is relative to the file, as pm2's ecosystem file has it for cwd.
      const words = Array.isArray(value) && o.repeatable ? value : [value];
      for (const word of words) {
        if (typeof word !== "string" && typeof word !== "number") {
          fail(`${label}: "${key}" must be a string or a number`);
        }
        const text = PATH_KEYS.has(key) && String(word) !== ""
          ? resolvePath(directory, String(word))
          : String(word);
        args.push(`${o.flag}=${text}`);
      }
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
  const name = (parsed as StartCommand).name;
  return {
    name,
    args: startArgs,
    parsed: parsed as StartCommand,
    after,
    label: `daemon ${JSON.stringify(name)} (entry ${index + 1})`,
  };
}
