/**
 * `logs` of several daemons: their last lines interleaved in time order,
 * each after its daemon's name; `-f` following them all at once, across
 * rotations, to SIGTERM or to the end of the pipe it writes to.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, renameSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { cliCommand, formTest, readText, run, shellQuote, tagged, test, until } from "./harness.ts";
import { lineTime, merged, nameColour, prefixes, timesOf } from "../src/cli/logs_merge.ts";

const t: typeof formTest = (name, body) => formTest(name, body, 90_000);

/** A shell loop that writes `NAME N` for N = 0, 1, … every `every` seconds. */
function counting(name: string, every = 0.05): string[] {
  return ["sh", "-c", `i=0; while :; do echo "${name} $i"; i=$((i+1)); sleep ${every}; done`];
}

/** The numbers a daemon's lines carry, in the order shown (`prefix` before each). */
function numbersOf(out: string, prefix: string, name: string): number[] {
  const line = new RegExp(`^${prefix}(?:\\S+Z )?${name} (\\d+)$`);
  return out.split("\n").flatMap((l) => {
    const match = line.exec(l);
    return match ? [Number(match[1])] : [];
  });
}

/** Asserts `numbers` follow each other, none lost or repeated. */
function consecutive(numbers: number[], what: string): void {
  for (let i = 1; i < numbers.length; i++) {
    assert.equal(numbers[i], numbers[i - 1]! + 1, `${what}: no line lost or repeated at ${i}`);
  }
}

/** `daemonize logs ARGS` left running, its output gathered; `end` signals it and waits. */
function follower(home: string, tag: string, args: string[]) {
  const command = cliCommand(["logs", ...args]);
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, DAEMONIZE_HOME: home, TEST_TAG: tag, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const seen = { out: "", err: "" };
  child.stdout!.on("data", (d) => seen.out += d);
  child.stderr!.on("data", (d) => seen.err += d);
  const ended = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  return {
    seen,
    end: (signal: "SIGTERM" | "SIGINT") => {
      process.kill(child.pid!, signal);
      return ended;
    },
  };
}

test("a line's time is the ISO 8601 time it begins with, zone included", () => {
  assert.equal(lineTime("2026-12-07T10:00:00.123Z hello"), Date.UTC(2026, 11, 7, 10, 0, 0, 123));
  assert.equal(lineTime("2026-12-07 11:00:00+01:00 x"), Date.UTC(2026, 11, 7, 10));
  assert.equal(lineTime("2026-12-07T11:00:00+0100"), Date.UTC(2026, 11, 7, 10));
  assert.equal(lineTime("2026-12-07T10:00:00 no zone"), undefined);
  assert.equal(lineTime("at 2026-12-07T10:00:00Z"), undefined);
  assert.equal(lineTime("2026-12-07T10:00:00Zulu"), undefined);
});

test("a line without a time takes its predecessor's, the first ones the next time, none the log's", () => {
  const lines = ["first", "1970-01-01T00:00:00.005Z a", "b", "1970-01-01T00:00:00.009Z c", "d"];
  assert.deepEqual(timesOf(lines, undefined, 99), [5, 5, 5, 9, 9]);
  assert.deepEqual(timesOf(lines, 2, 99), [2, 5, 5, 9, 9], "the last time shown before");
  assert.deepEqual(timesOf(["x", "y"], undefined, 99), [99, 99]);
});

test("merged lines go in time order, one daemon's never reordered, ties to the one named first", () => {
  const out = merged([
    { daemon: 0, lines: ["a1", "a2", "a3"], times: [1, 5, 3] },
    { daemon: 1, lines: ["b1", "b2"], times: [1, 4] },
  ]);
  assert.deepEqual(out.map((l) => l.line), ["a1", "b1", "b2", "a2", "a3"]);
});

test("names are padded to the longest, and coloured the same each time only when asked", () => {
  assert.deepEqual(prefixes(["api", "worker"], false), ["api    | ", "worker | "]);
  const [api] = prefixes(["api", "worker"], true);
  assert.equal(api, `\x1b[${nameColour("api")}mapi\x1b[0m    | `);
  assert.equal(nameColour("api"), nameColour("api"));
});

t(
  "logs of two daemons with --log-time interleaves their last lines in time order, each after its padded name",
  async ({ home, cli }) => {
    // Lockstep: a writes, then bravo, then a again; each waits for the other's line in its log.
    const a = join(home, "a.log");
    const bravo = join(home, "bravo.log");
    const waitFor = (log: string, line: string) =>
      `until grep -q "${line}\\$" ${log} 2>/dev/null; do sleep 0.01; done; sleep 0.01`;
    const aLoop = `i=0; while [ $i -lt 5 ]; do echo "a $i"; ${
      waitFor(bravo, "bravo $i")
    }; i=$((i+1)); done; exec sleep 300`;
    const bLoop = `i=0; while [ $i -lt 5 ]; do ${
      waitFor(a, "a $i")
    }; echo "bravo $i"; i=$((i+1)); done; exec sleep 300`;
    for (const [name, loop] of [["a", aLoop], ["bravo", bLoop]]) {
      const started = cli(["start", "--name", name!, "--log-time", "--", "sh", "-c", loop!]);
      assert.equal(started.code, 0, started.stderr);
    }
    await until(() => /bravo 4\n/.test(readText(bravo)), "the fifth round");
    const logs = cli(["logs", "-n", "3", "bravo", "a"]);
    assert.equal(logs.code, 0, logs.stderr);
    const time = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
    const expected = ["a     | a 2", "bravo | bravo 2", "a     | a 3", "bravo | bravo 3"]
      .concat(["a     | a 4", "bravo | bravo 4"]);
    assert.match(
      logs.stdout,
      new RegExp(`^${expected.map((l) => l.replace("| ", `\\| ${time} `)).join("\n")}\n$`),
    );
    // No name: every known daemon, the same way.
    assert.equal(cli(["logs", "-n", "3"]).stdout, logs.stdout);
    // One daemon: its lines as they are, without a prefix.
    assert.match(cli(["logs", "-n", "1", "a"]).stdout, new RegExp(`^${time} a 4\n$`));
    assert.equal(cli(["stop", "a", "bravo"]).code, 0);
  },
);

t(
  "an unknown name among several is one line naming it, and the others' logs are shown",
  ({ cli }) => {
    const started = cli(["start", "--name", "known", "--", "sh", "-c", "echo hello; sleep 300"]);
    assert.equal(started.code, 0, started.stderr);
    const logs = cli(["logs", "known", "knwon2"]);
    assert.equal(logs.code, 5);
    assert.match(logs.stderr, /^daemonize: no daemon named "knwon2" in [^\n]+\n$/);
    assert.equal(logs.stdout, "hello\n");
    const alone = cli(["logs", "-f", "nosuch"]);
    assert.equal(alone.code, 5);
    assert.match(alone.stderr, /^daemonize: no daemon named "nosuch" in [^\n]+\n$/);
    assert.equal(cli(["stop", "known"]).code, 0);
  },
);

t(
  "logs -f of two daemons prints the new lines of both, each after its name, and ends on SIGTERM",
  async ({ home, cli, tag }) => {
    for (const name of ["one", "three"]) {
      const started = cli(["start", "--name", name, "--", ...counting(name)]);
      assert.equal(started.code, 0, started.stderr);
    }
    const f = follower(home, tag, ["-f", "-n", "1", "one", "three"]);
    const count = (name: string) =>
      numbersOf(f.seen.out, name === "one" ? "one   \\| " : "three \\| ", name);
    await until(
      () => count("one").length > 20 && count("three").length > 20,
      () => `twenty new lines of each, not ${JSON.stringify(f.seen.out.slice(-300))}`,
    );
    assert.equal(await f.end("SIGTERM"), 0, "a clean end");
    assert.equal(f.seen.err, "");
    assert.match(f.seen.out, /^(one {3}\| one \d+|three \| three \d+)\n/);
    consecutive(count("one"), "one");
    consecutive(count("three"), "three");
    assert.equal(cli(["stop", "one", "three"]).code, 0);
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "logs -f of two daemons follows one across --log-max-size rotations and one whose log was renamed away",
  async ({ home, work, cli, tag }) => {
    const sized = cli([
      "start",
      "--name",
      "sized",
      "--log-max-size",
      "1K",
      "--",
      ...counting("sized", 0.02),
    ]);
    assert.equal(sized.code, 0, sized.stderr);
    const moved = cli(["start", "--name", "moved", "--log-time", "--", ...counting("moved")]);
    assert.equal(moved.code, 0, moved.stderr);
    const f = follower(home, tag, ["-f", "-n", "1", "sized", "moved"]);
    const ofSized = () => numbersOf(f.seen.out, "sized \\| ", "sized");
    const ofMoved = () => numbersOf(f.seen.out, "moved \\| ", "moved");
    await until(() => ofMoved().length > 3, "the follower to show moved's lines");
    // As logrotate does without copytruncate: the file renamed, the writer opening a new one.
    const old = join(work, "moved.log.old");
    renameSync(join(home, "moved.log"), old);
    const lastOld = () => Math.max(...numbersOf(readText(old), "", "moved"));
    await until(
      () => existsSync(join(home, "sized.log.2")) && existsSync(join(home, "moved.log")),
      "sized rotated twice, moved's log made again",
    );
    const firstIn = (file: string) =>
      Number(/^sized (\d+)\n/.exec(readText(join(home, file)))?.[1]);
    await until(() => {
      const s = ofSized();
      return s[0]! < firstIn("sized.log.1") && s.at(-1)! >= firstIn("sized.log") &&
        ofMoved().at(-1)! > lastOld() + 3;
    }, () => `both followed across (${ofSized().length} and ${ofMoved().length} lines)`);
    assert.equal(await f.end("SIGINT"), 0, "a clean end on Ctrl-C");
    consecutive(ofSized(), "sized");
    consecutive(ofMoved(), "moved");
    assert.equal(cli(["stop", "sized", "moved"]).code, 0);
  },
);

t(
  "logs -f --all into head ends once head has its lines, from the history or from what came after",
  ({ cli, tag, home }) => {
    for (const name of ["p", "q"]) {
      const started = cli(["start", "--name", name, "--", ...counting(name, 0.1)]);
      assert.equal(started.code, 0, started.stderr);
    }
    const env = { DAEMONIZE_HOME: home, TEST_TAG: tag, NO_COLOR: "1" };
    for (const lines of ["3", "1"]) {
      const logs = shellQuote(cliCommand(["logs", "-f", "--all", "-n", lines]));
      const ran = run(["sh", "-c", `${logs} | head -3; echo "ended $?"`], { env, timeout: 60_000 });
      assert.equal(ran.signal, null, `it ended by itself (-n ${lines})`);
      assert.match(ran.stdout, /^([pq] \| [pq] \d+\n){3}ended 0\n$/, ran.stderr);
    }
    assert.equal(cli(["stop", "--all"]).code, 0);
  },
);

t(
  "on a terminal each name has its colour, the same each time, and NO_COLOR leaves them plain",
  ({ home, cli, tag }) => {
    for (const name of ["api", "worker"]) {
      const started = cli([
        "start",
        "--name",
        name,
        "--",
        "sh",
        "-c",
        `echo ${name} up; sleep 300`,
      ]);
      assert.equal(started.code, 0, started.stderr);
    }
    const onTerminal = (env: Record<string, string>) =>
      run([
        ...(env.NO_COLOR === undefined ? ["env", "-u", "NO_COLOR"] : []),
        "script",
        "-qc",
        shellQuote(cliCommand(["logs", "api", "worker"])),
        "/dev/null",
      ], { env: { DAEMONIZE_HOME: home, TEST_TAG: tag, TERM: "xterm", ...env } }).stdout
        .replaceAll("\r", "");
    const api = `\x1b[${nameColour("api")}mapi\x1b[0m`;
    const worker = `\x1b[${nameColour("worker")}mworker\x1b[0m`;
    assert.equal(onTerminal({}), `${api}    | api up\n${worker} | worker up\n`);
    assert.equal(onTerminal({ NO_COLOR: "1" }), "api    | api up\nworker | worker up\n");
    assert.equal(cli(["stop", "api", "worker"]).code, 0);
  },
);
