/**
 * A command's arguments split into options, switches and positionals, by
 * the options it knows; the first step of every command's parser.
 *
 * @module
 */
import { didYouMean, quote, UsageError } from "./usage.ts";

/** The arguments of a command, sorted. */
export interface Scanned {
  /** Each option's values, in the order given. */
  values: Map<string, string[]>;
  /** The switches given. */
  flags: Set<string>;
  positionals: string[];
  /** The program and its arguments: what followed `--` or the first positional. */
  rest: string[] | undefined;
  /** Whether `rest` followed a `--`. */
  dashed: boolean;
}

/**
 * Splits `args` into options (with `--opt value` or `--opt=value`), flags
 * and positionals; with `stopAtPositional`, the first positional and
 * everything after it are the program (as after `--`).
 */
export function scan(
  command: string,
  args: readonly string[],
  takesValue: ReadonlySet<string>,
  flags: ReadonlySet<string>,
  stopAtPositional: boolean,
): Scanned {
  const out: Scanned = {
    values: new Map(),
    flags: new Set(),
    positionals: [],
    rest: undefined,
    dashed: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.rest = args.slice(i + 1);
      out.dashed = true;
      break;
    }
    if (arg.startsWith("-") && arg !== "-") {
      const eq = arg.indexOf("=");
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      if (takesValue.has(name)) {
        const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
        if (value === undefined) {
          throw new UsageError(`option ${name} needs a value`, command);
        }
        out.values.set(name, [...(out.values.get(name) ?? []), value]);
      } else if (flags.has(name) && eq < 0) {
        out.flags.add(name);
      } else {
        throw new UsageError(
          `unknown option ${/^[!-~]{1,60}$/.test(name) ? name : quote(name)}${
            didYouMean(name, [...takesValue, ...flags])
          }`,
          command,
        );
      }
      continue;
    }
    if (stopAtPositional) {
      out.rest = args.slice(i);
      break;
    }
    out.positionals.push(arg);
  }
  return out;
}

/** The value of an option that may be given once, or undefined when it is not. */
export function single(scanned: Scanned, name: string, command: string): string | undefined {
  const values = scanned.values.get(name);
  if (!values) return undefined;
  if (values.length > 1) {
    throw new UsageError(`option ${name} given more than once`, command);
  }
  return values[0];
}

/** One of two spellings of an option (`-n` or `--lines`), given once. */
export function eitherOf(
  scanned: Scanned,
  short: string,
  long: string,
  command: string,
): string | undefined {
  if (scanned.values.has(short) && scanned.values.has(long)) {
    throw new UsageError(`give ${short} or ${long}, not both`, command);
  }
  return single(scanned, short, command) ?? single(scanned, long, command);
}
