/**
 * Text from programs made safe to show on a terminal, in one line.
 *
 * @module
 */

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
