/**
 * What the examples share: reading a small JSON config file named by an
 * environment variable, checked field by field with one-line errors.
 */
import { readFileSync } from "node:fs";
import process from "node:process";

/**
 * Reads the JSON object in the file `$variable` names; when it is unset,
 * `{}` (all defaults), or with `required` a one-line error saying so.
 */
export function readConfig(variable: string, required = false): Record<string, unknown> {
  const path = process.env[variable];
  if (!path && required) fail(`$${variable} is not set: it names the JSON config file`);
  if (!path) return {};
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    fail(`cannot read config ${path} (from $${variable}): ${(error as Error).message}`);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    fail(`config ${path}: expected a JSON object`);
  }
  return config as Record<string, unknown>;
}

/**
 * Whether the command the script was given needs its config: starting it
 * does; stop, status and reload only act on the running daemon.
 */
export function commandNeedsConfig(): boolean {
  return ["start", "run", "restart"].includes(process.argv[2] ?? "");
}

/** A mistake in a config file. */
export class ConfigError extends Error {}

/** Throws a {@link ConfigError} with `message`. */
export function fail(message: string): never {
  throw new ConfigError(message);
}

/** Runs `load`; a config mistake is printed on one line, with exit status 2. */
export function orExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

/** A positive number field, or its default. */
export function numberField(
  config: Record<string, unknown>,
  key: string,
  fallback: number,
): number {
  const value = config[key] ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    fail(`config field "${key}": expected a positive number, got ${JSON.stringify(config[key])}`);
  }
  return value;
}

/** A string field, or its default (undefined: required). */
export function stringField(
  config: Record<string, unknown>,
  key: string,
  fallback?: string,
): string {
  const value = config[key] ?? fallback;
  if (typeof value !== "string" || value === "") {
    fail(`config field "${key}": expected a non-empty string, got ${JSON.stringify(config[key])}`);
  }
  return value;
}
