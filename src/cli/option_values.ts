/**
 * The parser of each kind of option value (see `OptionType`): text from the
 * command line to a checked value, or a usage error naming the option. Pure
 * but for `--env NAME`, whose value is read from the environment.
 *
 * @module
 */
import { getenv } from "../host.ts";
import { signalFullName } from "../signal_names.ts";
import { RESTART_POLICIES } from "../supervisor/record.ts";
import type { OptionType, OptionValues } from "./start_options.ts";
import { alternatives, quote, UsageError } from "./usage.ts";

/** Parses `text`, the value of option `flag` of `command`. */
type Parser<T> = (text: string, flag: string, command: string) => T;

/** Seconds ("10", "0.5") as milliseconds. */
export const seconds: Parser<number> = (text, flag, command) => {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`invalid ${flag} ${quote(text)}: expected seconds`, command);
  }
  return Math.round(value * 1000);
};

/** A whole number of things (0 or more). */
export const count: Parser<number> = (text, flag, command) => {
  if (!/^\d{1,9}$/.test(text)) {
    throw new UsageError(`invalid ${flag} ${quote(text)}: expected a whole number`, command);
  }
  return Number(text);
};

/** A size: bytes, or a number with K, M or G (powers of 1024). */
const size: Parser<number> = (text, flag, command) => {
  const match = /^(\d+(?:\.\d+)?)([KMG]?)i?B?$/i.exec(text.trim());
  const units: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
  const bytes = match ? Math.floor(Number(match[1]) * units[match[2]!.toUpperCase()]!) : NaN;
  if (!match || !(bytes >= 1024)) {
    throw new UsageError(
      `invalid ${flag} ${quote(text)}: expected a size of at least 1K, like 10M`,
      command,
    );
  }
  return bytes;
};

/** Any signal's full name (`term` as `SIGTERM`), SIGKILL too. */
export const anySignal: Parser<string> = (text, flag, command) => {
  const name = signalFullName(text);
  if (name === undefined) {
    throw new UsageError(`invalid ${flag} ${quote(text)}: not a signal name`, command);
  }
  return name;
};

/** A signal a program can catch, by its full name. */
const catchableSignal: Parser<string> = (text, flag, command) => {
  const name = anySignal(text, flag, command);
  if (name === "SIGKILL" || name === "SIGSTOP") {
    throw new UsageError(`invalid ${flag} ${quote(text)}: not a signal name`, command);
  }
  return name;
};

/**
 * A variable `NAME=VALUE` as `[NAME, VALUE]`, or `NAME` alone for the value
 * NAME has in this environment: the one place an `--env` entry is read. A
 * message never shows a value.
 */
const variable: Parser<readonly [string, string]> = (text, flag, command) => {
  const eq = text.indexOf("=");
  const name = eq < 0 ? text : text.slice(0, eq);
  if (!/^[^\0=]+$/.test(name)) {
    const shown = eq < 0 ? quote(text) : `${quote(name)}=…`;
    throw new UsageError(`invalid ${flag} ${shown}: expected NAME=VALUE or NAME`, command);
  }
  if (eq >= 0) return [name, text.slice(eq + 1)];
  const value = getenv(name);
  if (value === undefined) {
    throw new UsageError(`${flag} ${quote(name)}: ${name} is not set in the environment`, command);
  }
  return [name, value];
};

/** Whether `name` is a valid daemon name: letters, digits, `.`, `_`, `@`, `-`; no leading dot. */
export function validName(name: string): boolean {
  return /^[A-Za-z0-9_@-][A-Za-z0-9._@-]*$/.test(name) && name.length <= 100;
}

/** A daemon name (of `--name`, or a NAME argument); a usage error when it can't be one. */
export const daemonName: Parser<string> = (text, what, command) => {
  if (!validName(text)) {
    throw new UsageError(
      `invalid ${what} ${quote(text)}: use letters, digits, '.', '_', '@' and '-'`,
      command,
    );
  }
  return text;
};

/** Any text, taken as it is. */
const text: Parser<string> = (value) => value;

/** The parser of each kind of value that is given as text. */
export const PARSERS: { readonly [T in Exclude<OptionType, "switch">]: Parser<OptionValues[T]> } = {
  seconds,
  count,
  size,
  octal: (value, flag, command) => {
    if (!/^0?[0-7]{1,3}$/.test(value)) {
      throw new UsageError(`invalid ${flag} ${quote(value)}: expected octal like 022`, command);
    }
    return parseInt(value, 8);
  },
  port: (value, flag, command) => {
    if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
      throw new UsageError(
        `invalid ${flag} ${quote(value)}: expected a port number 1-65535`,
        command,
      );
    }
    return Number(value);
  },
  regex: (value, flag, command) => {
    try {
      new RegExp(value);
    } catch (error) {
      throw new UsageError(
        `invalid ${flag} ${quote(value)}: ${(error as Error).message}`,
        command,
      );
    }
    return value;
  },
  signal: catchableSignal,
  policy: (value, flag, command) => {
    const policy = RESTART_POLICIES.find((p) => p === value);
    if (policy === undefined) {
      throw new UsageError(
        `invalid ${flag} ${quote(value)}: expected ${alternatives(RESTART_POLICIES)}`,
        command,
      );
    }
    return policy;
  },
  variable,
  name: daemonName,
  path: text,
  user: text,
  group: text,
  command: (value, flag, command) => {
    if (value.trim() === "") throw new UsageError(`invalid ${flag}: empty`, command);
    return value;
  },
  glob: (value, flag, command) => {
    if (value === "" || value.includes("\0")) {
      throw new UsageError(`invalid ${flag}: empty`, command);
    }
    return value;
  },
  // Checked once the cron library is loaded (see cron_options.ts).
  schedule: (value, flag, command) => PARSERS.command(value, flag, command),
  zone: (value, flag, command) => PARSERS.command(value, flag, command),
};
