/**
 * The environment-file grammar, line by line: what each line gives, which
 * lines are refused (by number, never showing a value), and which accepted
 * lines systemd's own parser reads the same (checked against systemd's
 * parser itself, through `systemd-analyze condition` in a private mount
 * namespace).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EnvLineError, parseEnvFile } from "../src/cli/env_file.ts";
import { systemdAssignment } from "../src/cli/unit_env.ts";
import { run, test, withTemp } from "./harness.ts";

/** A file's text, and the variables it gives (or the refused line's message). */
type Row = readonly [text: string, expected: Record<string, string> | string];

const ROWS: readonly Row[] = [
  ["A=1", { A: "1" }],
  ["export A=1", { A: "1" }],
  ["export=1", { export: "1" }],
  ["\n\n  # a comment\nA=1\n\n", { A: "1" }],
  ["A=1 # not a comment", { A: "1 # not a comment" }],
  ["A=postgres://u:p@h/db?x=1&y=2", { A: "postgres://u:p@h/db?x=1&y=2" }],
  ["A=", { A: "" }],
  ['A=""', { A: "" }],
  ["A=''", { A: "" }],
  ["A=  spaced out  \t", { A: "spaced out" }],
  ["A=1\r\nB=2\r\n", { A: "1", B: "2" }],
  ['A="a\\"b\\\\c\\nd"', { A: 'a"b\\c\nd' }],
  ['A="\\$HOME \\`x\\` \\q"', { A: "$HOME `x` \\q" }],
  ["A='$HOME \\n \"x\"'", { A: '$HOME \\n "x"' }],
  ["A=$HOME", { A: "$HOME" }],
  ['A="  kept  "  ', { A: "  kept  " }],
  ["A=it's", { A: "it's" }],
  ["A=1\nA=2", { A: "2" }],
  ["_under=x\nlower9=y", { _under: "x", lower9: "y" }],
  ["A=1\nnot an assignment", "line 2: expected NAME=value"],
  ["9A=1", "line 1: expected NAME=value"],
  ["A-B=1", "line 1: expected NAME=value"],
  ["A =1", "line 1: a space before ="],
  ["=1", "line 1: expected NAME=value"],
  ["export A", "line 1: expected NAME=value"],
  ['A="open', "line 1: no closing double quote"],
  ["\nA='open", "line 2: no closing single quote"],
  ["A='x' y", "line 1: text after the closing quote"],
  ['A="x\\"', "line 1: no closing double quote"],
];

test("each line of the environment-file grammar gives its variables, or is refused by number", () => {
  assert.ok(ROWS.length >= 15);
  for (const [text, expected] of ROWS) {
    if (typeof expected === "string") {
      assert.throws(
        () => parseEnvFile(text),
        (e: Error) => e instanceof EnvLineError && e.message.startsWith(expected),
        JSON.stringify(text),
      );
      continue;
    }
    const got: Record<string, string> = {};
    for (const e of parseEnvFile(text).entries) got[e.name] = e.value;
    assert.deepEqual(got, expected, JSON.stringify(text));
  }
});

test("a refused line's message never holds its text", () => {
  for (const text of ["s3cr3t-token", "A ='s3cr3t-token'", 'A="s3cr3t-token', "A='s3cr3t' token"]) {
    assert.throws(
      () => parseEnvFile(text),
      (e: Error) => e instanceof EnvLineError && !e.message.includes("s3cr3t"),
    );
  }
});

test("the lines systemd reads otherwise are listed by number", () => {
  const { differences } = parseEnvFile(
    'A=1\nexport B=2\nC="x\\ny"\nD=a\\b\n# ends in a backslash \\\nE=5\nF="\\$ok"\n',
  );
  assert.deepEqual(differences.map((d) => d.line), [2, 3, 4, 6]);
});

/**
 * How systemd's own parser of `NAME=value` files reads `text`: for each
 * variable, whether it holds `value`. The file is put over /etc/os-release
 * in a private mount namespace, which `ConditionOSRelease=` reads with the
 * parser of `EnvironmentFile=`. A condition can't name an empty value or
 * one with blanks at an end: those are left out.
 */
function systemdReads(dir: string, text: string, expected: Record<string, string>): string[] {
  const file = join(dir, "os-release");
  writeFileSync(file, text);
  // The condition's own quoting: double quotes, with \ and " escaped.
  const conditions = Object.entries(expected).filter(([, v]) => v !== "" && v === v.trim()).map((
    [k, v],
  ) =>
    `'ConditionOSRelease="${k}=${v.replace(/[\\"]/g, (c) => `\\${c}`).replaceAll("'", "'\\''")}"'`
  );
  const script = [
    `mount --bind ${file} /etc/os-release`,
    ...conditions.map((c) =>
      `systemd-analyze condition ${c} >/dev/null 2>&1 && echo succeeded || echo failed`
    ),
  ].join("\n");
  const ran = run(["unshare", "-m", "sh", "-c", script]);
  assert.equal(ran.code, 0, ran.stderr);
  return ran.stdout.trim().split("\n");
}

test("systemd's parser reads the lines we read the same, and the ones we list otherwise", async () => {
  await withTemp((dir) => {
    const same = [
      "# comment",
      "",
      "A=plain value",
      "B='lit $HOME \"q\" \\n'",
      'C="q \\"x\\" \\\\ \\$ \\` kept\\q"',
      "D=",
      "E=x=y=z",
      "F=  trimmed  ",
      'G="  inner  "',
      "H=it's # and more",
    ].join("\r\n") + "\r\n";
    const ours: Record<string, string> = {};
    const parsed = parseEnvFile(same);
    assert.deepEqual(parsed.differences, []);
    for (const e of parsed.entries) ours[e.name] = e.value;
    const read = systemdReads(dir, same, ours);
    assert.deepEqual(read, Array(6).fill("succeeded"), JSON.stringify(ours));
    // The check can fail: a value systemd does not read.
    assert.deepEqual(systemdReads(dir, same, { A: "plain" }), ["failed"]);
    // What we list as read otherwise is read otherwise.
    const other = 'export B=2\nC="x\\ny"\nD=a\\b\n';
    const listed = parseEnvFile(other);
    assert.deepEqual(listed.differences.map((d) => d.line), [1, 2, 3]);
    const values = Object.fromEntries(listed.entries.map((e) => [e.name, e.value]));
    assert.deepEqual(systemdReads(dir, other, values), ["failed", "failed", "failed"]);
  });
});

test("the --env values a unit reads are written so that systemd reads them back exactly", async () => {
  await withTemp((dir) => {
    const values: Record<string, string> = {
      PLAIN: "abc",
      SPACES: "  a b  ",
      SINGLE: "it's",
      MIXED: `it's "$HOME" \`x\` \\n \\ # ;`,
      DOLLAR: "$HOME ${USER}",
      EMPTY: "",
    };
    const text = Object.entries(values).map(([k, v]) => systemdAssignment(k, v)).join("\n") + "\n";
    const read = systemdReads(dir, text, values);
    assert.deepEqual(read, Array(4).fill("succeeded"), text);
  });
});
