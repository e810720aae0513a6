/**
 * Text from programs made safe to show on a terminal, in one line.
 *
 * @module
 */
import type { ExitStatus } from "../ffi/libc.ts";
import { signalName } from "./signal_names.ts";

/** How a program or daemon ended, in words (`exited with status 1`, `was killed by SIGKILL`). */
export function describeEnd(status: ExitStatus): string {
  return "code" in status
    ? `exited with status ${status.code}`
    : `was killed by ${signalName(status.signal)}`;
}

/**
 * A log line as it can be shown on a terminal: colour and cursor escapes
 * removed, other control characters (a carriage return, say) made visible.
 */
export function printable(line: string): string {
  // deno-lint-ignore no-control-regex
  const escape = /\x1b(\[[0-?]*[ -\/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])/g;
  // deno-lint-ignore no-control-regex
  const control = /[\x00-\x08\x0b-\x1f\x7f]/g;
  return line.replace(escape, "").replace(
    control,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** `text` as one printable line: newlines and tabs, too, shown as backslash escapes. */
export function oneLine(text: string): string {
  return printable(text.replaceAll("\n", "\\n").replaceAll("\t", "\\t"));
}

/** A delay for a message: `250 ms`, `2 s`, `1.5 s`. */
export function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s`;
}
