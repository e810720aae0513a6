/**
 * Mistakes in what the user gave, the command line or a file of daemons:
 * their errors, and how a value or a likely meant word is shown in them.
 *
 * @module
 */

/** A value as a message shows it: quoted, escaped, and cut to 60 characters. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/** Words as a sentence offers them: "a, b or c". */
export function alternatives(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/** A mistake in the command line: printed on one line, exit status 2. */
export class UsageError extends Error {
  /** The command it concerns, for the `--help` hint. */
  readonly command: string | undefined;
  /** Creates the error. */
  constructor(message: string, command?: string) {
    // One line a terminal shows as it is: control characters made visible.
    super(
      message.replace(
        // deno-lint-ignore no-control-regex
        /[\x00-\x1f\x7f]/g,
        (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
      ),
    );
    this.name = "UsageError";
    this.command = command;
  }
}

/** A mistake in a file of daemons: one line, exit status 2. */
export class DaemonFileError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "DaemonFileError";
  }
}

/** "; did you mean "x"?" for the closest of `candidates`, or "". */
export function didYouMean(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const limit = word.replace(/^-+/, "").length <= 4 ? 1 : 2;
  return best !== undefined && bestDistance <= limit ? `; did you mean ${quote(best)}?` : "";
}

/** Levenshtein distance, counting a swap of neighbours as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
