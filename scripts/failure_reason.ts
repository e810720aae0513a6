/**
 * What a build tool's failure output comes down to, for a one-line message.
 *
 * @module
 */

/**
 * The cause of a tool's failure, from its output: the deepest "Caused by"
 * line, else the error line, else the last line (never a progress line).
 */
export function failureReason(stderr: string | undefined, error: Error | undefined): string {
  // deno-lint-ignore no-control-regex
  const lines = (stderr ?? "").replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim())
    .filter((l) => l && !/^\d+: <unknown>$/.test(l) && l !== "Stack backtrace:");
  const causes = lines.filter((l) => /^\d+: /.test(l));
  const errorLine = lines.find((l) => /^error\b/i.test(l));
  return causes.at(-1)?.replace(/^\d+: /, "") ?? errorLine ?? lines.at(-1) ?? error?.message ??
    "no output";
}
