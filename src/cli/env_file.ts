/**
 * Environment files (`--env-file`): `NAME=value` lines read at each start.
 *
 * The grammar, one assignment a line:
 * - blank lines, and lines whose first non-blank character is `#`, are
 *   skipped (a `#` later in a line is part of the value);
 * - `NAME=value` or `export NAME=value`; NAME is letters, digits and `_`,
 *   not starting with a digit, with no space before `=`;
 * - an unquoted value is taken as it is, spaces and tabs around it dropped;
 * - `'…'` is taken literally; `"…"` knows the escapes `\"`, `\\`, `\n`
 *   (a line break), `\$` and `` \` ``, and keeps any other backslash; a
 *   quoted value ends on its line, and only blanks may follow it;
 * - nothing is expanded: `$HOME` stays those five characters;
 * - a carriage return before a line break is dropped (files from Windows);
 * - anything else is a mistake, named by the file and the line number,
 *   never by the value (it may be a secret).
 *
 * Where systemd's `EnvironmentFile=` reads an accepted line otherwise, the
 * line is listed as a difference (see `man systemd.exec`).
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { resolvePath } from "../paths.ts";
import { quote, UsageError } from "./usage.ts";

/** One variable of an environment file. */
export interface EnvEntry {
  readonly name: string;
  readonly value: string;
  /** Its line number, from 1. */
  readonly line: number;
}

/** A line systemd's `EnvironmentFile=` reads otherwise, and how. */
export interface SystemdDifference {
  readonly line: number;
  readonly reason: string;
}

/** An environment file's text, read. */
export interface EnvFile {
  readonly entries: readonly EnvEntry[];
  /** Lines accepted here that systemd reads otherwise. */
  readonly differences: readonly SystemdDifference[];
}

/** A mistake in a line: its number and what is wrong, without its text. */
export class EnvLineError extends Error {
  /** The line number, from 1. */
  readonly line: number;
  /** Creates the error. */
  constructor(line: number, reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = "EnvLineError";
    this.line = line;
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const EXPORT = /^export[ \t]+/;
const DOUBLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  n: "\n",
  $: "$",
  "`": "`",
};

/** A quoted value starting at `text[0]`: the value and what follows it. */
function quoted(text: string, line: number): { value: string; rest: string; newline: boolean } {
  const mark = text[0]!;
  const kind = mark === "'" ? "single" : "double";
  let value = "";
  let newline = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === mark) return { value, rest: text.slice(i + 1), newline };
    if (mark === '"' && c === "\\" && i + 1 < text.length) {
      const next = text[++i]!;
      const escaped = DOUBLE_ESCAPES[next];
      if (next === "n") newline = true;
      value += escaped ?? `\\${next}`;
    } else value += c;
  }
  throw new EnvLineError(line, `no closing ${kind} quote (a quoted value ends on its line)`);
}

/** One assignment line (not blank, not a comment) as an entry. */
function assignment(
  text: string,
  line: number,
  differences: SystemdDifference[],
): EnvEntry {
  let rest = text;
  const exported = EXPORT.exec(rest);
  if (exported && rest.slice(exported[0].length) !== "") {
    rest = rest.slice(exported[0].length);
    differences.push({ line, reason: "systemd ignores a line with export" });
  }
  const name = NAME.exec(rest)?.[0];
  if (name === undefined) {
    throw new EnvLineError(
      line,
      "expected NAME=value (NAME: letters, digits and _, not starting with a digit)",
    );
  }
  rest = rest.slice(name.length);
  if (rest[0] !== "=") {
    throw new EnvLineError(
      line,
      /^[ \t]*=/.test(rest)
        ? "a space before = (write NAME=value)"
        : "expected NAME=value (NAME: letters, digits and _, not starting with a digit)",
    );
  }
  rest = rest.slice(1).replace(/^[ \t]+/, "");
  let value: string;
  if (rest[0] === "'" || rest[0] === '"') {
    const q = quoted(rest, line);
    if (q.rest.trim() !== "") {
      throw new EnvLineError(line, "text after the closing quote (quote the whole value)");
    }
    if (q.newline) {
      differences.push({ line, reason: "systemd keeps \\n in double quotes as two characters" });
    }
    value = q.value;
  } else {
    value = rest.replace(/[ \t]+$/, "");
    if (value.includes("\\")) {
      differences.push({
        line,
        reason: "systemd reads a backslash in an unquoted value as an escape",
      });
    }
  }
  if (value.includes("\0")) throw new EnvLineError(line, "a NUL character in the value");
  return { name, value, line };
}

/**
 * The variables of an environment file's text, in order (a name given twice
 * keeps its last value when they are applied).
 * @throws {EnvLineError} naming the first malformed line.
 */
export function parseEnvFile(text: string): EnvFile {
  const entries: EnvEntry[] = [];
  const differences: SystemdDifference[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "").replace(/^[ \t]+/, "");
    if (line === "" && i === lines.length - 1) break;
    if (line === "") continue;
    if (line.startsWith("#")) {
      if (line.endsWith("\\") && i + 1 < lines.length && lines[i + 1]!.trim() !== "") {
        differences.push({
          line: i + 2,
          reason: "systemd before version 254 takes it as part of the comment above",
        });
      }
      continue;
    }
    entries.push(assignment(line, i + 1, differences));
  }
  return { entries, differences };
}

/** Reads environment file `path` (relative to `directory`). */
export function readEnvFile(path: string, directory: string, command: string): EnvFile {
  const absolute = resolvePath(directory, path);
  let text: string;
  try {
    text = getLibc().readTextFile(absolute);
  } catch (error) {
    const why = (error as { code?: string }).code === "ENOENT"
      ? "no such file"
      : (error as Error).message;
    throw new UsageError(`--env-file ${quote(path)}: cannot read it: ${why}`, command);
  }
  try {
    return parseEnvFile(text);
  } catch (error) {
    if (!(error instanceof EnvLineError)) throw error;
    throw new UsageError(`--env-file ${quote(path)} ${error.message}`, command);
  }
}

/**
 * The variables of the environment files `paths`, read now, each relative
 * to `directory`: a later file's value of a name wins over an earlier one's.
 * @throws {UsageError} naming the file (and the line) that can't be used.
 */
export function readEnvFiles(
  paths: readonly string[],
  directory: string,
  command: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const path of paths) {
    for (const e of readEnvFile(path, directory, command).entries) env[e.name] = e.value;
  }
  return env;
}
