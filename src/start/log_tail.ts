/**
 * What a start added to the daemon's logs, for the message of a failed
 * start: the program's own words on why it ended.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { printable } from "../text.ts";

/** The last lines the start wrote to the logs, indented, or "". */
export function logTail(marks: Map<string, number>): string {
  const lines: string[] = [];
  for (const [path, from] of marks) {
    try {
      const added = new TextDecoder().decode(getLibc().readFile(path).subarray(from)).trimEnd();
      if (added) {
        lines.push(
          ...added.split("\n").slice(-10).map((l) => `  ${path}: ${printable(l)}`),
        );
      }
    } catch {
      // Unreadable log: nothing to show.
    }
  }
  return lines.length ? "\n" + lines.join("\n") : "";
}
