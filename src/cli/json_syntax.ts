/**
 * Where a JSON text first goes wrong, as a line and a column: the runtimes'
 * own messages differ and seldom say. A small reader of the JSON grammar
 * that only finds the first mistake.
 *
 * @module
 */

/** The first mistake of a JSON text: its line and column (from 1) and what was found there. */
export interface JsonMistake {
  readonly line: number;
  readonly column: number;
  readonly what: string;
}

class Stop extends Error {
  constructor(readonly at: number, readonly what: string) {
    super(what);
  }
}

/** The first syntax mistake in `text`, or undefined when it is valid JSON. */
export function jsonMistake(text: string): JsonMistake | undefined {
  let i = 0;
  const found = (at: number) =>
    at >= text.length ? "the end of the file" : `${JSON.stringify(text[at])}`;
  const stop = (expected: string): never => {
    throw new Stop(i, `expected ${expected}, found ${found(i)}`);
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const string = () => {
    if (text[i] !== '"') stop("a string");
    for (i++; i < text.length && text[i] !== '"'; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20) stop("a closing '\"'");
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) stop("four hex digits");
          i += 4;
        } else if (i >= text.length || !'"\\/bfnrt'.includes(text[i]!)) stop("an escape");
      }
    }
    if (i >= text.length) stop("a closing '\"'");
    i++;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === "{") {
      i++;
      space();
      if (text[i] === "}") return void i++;
      for (;;) {
        space();
        string();
        space();
        if (text[i] !== ":") stop("':'");
        i++;
        value();
        space();
        if (text[i] === "}") return void i++;
        if (text[i] !== ",") stop("',' or '}'");
        i++;
      }
    }
    if (c === "[") {
      i++;
      space();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        space();
        if (text[i] === "]") return void i++;
        if (text[i] !== ",") stop("',' or ']'");
        i++;
      }
    }
    if (c === '"') return string();
    const word = /^(?:true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)/
      .exec(text.slice(i, i + 400));
    if (!word) stop("a value");
    i += word![0].length;
  };
  try {
    value();
    space();
    if (i < text.length) stop("the end of the file");
    return undefined;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    const before = text.slice(0, error.at);
    const line = before.split("\n").length;
    const column = error.at - (before.lastIndexOf("\n") + 1) + 1;
    return { line, column, what: error.what };
  }
}
