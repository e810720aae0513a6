/**
 * The pid file a library call names: a path, or a {@link PidFile} of the
 * caller's; anything else is the caller's mistake.
 *
 * @module
 */
import { optionError } from "../errors.ts";
import { PidFile } from "./pid_file.ts";

/**
 * The pid file a library call was given: a path or a {@link PidFile}.
 * @throws {TypeError} (an `OptionError`) for anything else.
 */
export function pidFileOf(value: string | PidFile): PidFile {
  if (value instanceof PidFile) return value;
  if (typeof value !== "string" || value === "" || value.includes("\0")) {
    throw optionError(
      `Invalid pidFile: expected a path or a PidFile, got ${
        typeof value === "string" ? JSON.stringify(value) : String(value)
      }`,
    );
  }
  return new PidFile(value);
}
