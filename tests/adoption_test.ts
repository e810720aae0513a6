/**
 * A supervisor killed outright (SIGKILL) and taken over, end to end: its
 * program runs on and keeps writing (its output pipes have a keeper), a
 * start of the name supervises it again with no line lost or written
 * twice, and the program is restarted by the saved policy when it ends.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { alive, formTest, pidOf, readText, tagged, until } from "./harness.ts";

const t: typeof formTest = (name, body) => formTest(name, body, 90_000);

interface Record {
  supervisor: number;
  program: number | null;
  adopted?: boolean;
  keeper?: { pid: number };
}

function record(home: string, name: string): Record | undefined {
  const text = readText(join(home, `${name}.pid.supervisor`));
  return text ? JSON.parse(text) : undefined;
}

/** A program that writes a numbered line every 10 ms, and its last number to `counter`. */
function counting(counter: string): string[] {
  return [
    "sh",
    "-c",
    `i=0; while :; do i=$((i+1)); echo $i; echo $i > ${counter}; sleep 0.01; done`,
  ];
}

/** The numbers of the log's lines of digits. */
function numbers(log: string): number[] {
  return readText(log).split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
}

/** Asserts that `seen` is 1, 2, 3, … with no gap and no repeat. */
function assertEveryNumber(seen: number[]): void {
  assert.ok(seen.length > 0, "lines were logged");
  const wrong = seen.findIndex((n, i) => n !== i + 1);
  assert.equal(
    wrong,
    -1,
    `line ${wrong + 1} holds ${seen[wrong]}: ${seen.slice(Math.max(0, wrong - 3), wrong + 3)}`,
  );
}

t(
  "a program whose supervisor is killed keeps writing, and start supervises it again with every line logged once",
  async ({ home, work, cli, tag }) => {
    const counter = join(work, "counter");
    const log = join(home, "n.log");
    const started = cli([
      "start",
      "--name",
      "n",
      "--restart",
      "always",
      "--",
      ...counting(counter),
    ]);
    assert.equal(started.code, 0, started.stderr);
    const program = record(home, "n")!.program!;
    await until(() => numbers(log).length >= 20, "twenty lines logged");
    const supervisor = pidOf(home, "n");
    process.kill(supervisor, "SIGKILL");
    await until(() => !alive(supervisor), "the supervisor's death");
    // Unsupervised, it writes on (into the kept pipe), and is not killed by it.
    const then = Number(readText(counter));
    await until(() => Number(readText(counter)) >= then + 20, "twenty more lines written");
    assert.ok(alive(program), "the program runs on");
    const again = cli(["start", "n"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      new RegExp(`^n supervised again \\(pid \\d+\\): its program, pid ${program}, ran on\\n$`),
    );
    const now = record(home, "n")!;
    assert.equal(now.program, program, "the same program, not a second one");
    assert.equal(now.adopted, true);
    const status = cli(["status", "n"]);
    assert.equal(status.code, 0, status.stdout);
    assert.match(
      status.stdout,
      new RegExp(`running \\(pid ${program}, supervisor pid ${now.supervisor},`),
    );
    // What it wrote meanwhile, and what it writes now, reaches the log.
    const written = Number(readText(counter));
    await until(() => numbers(log).at(-1)! >= written + 10, "the lines written since");
    const stopped = cli(["stop", "n"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.ok(!alive(program));
    assertEveryNumber(numbers(log));
    assert.match(
      readText(log),
      new RegExp(`daemonize: sh \\(pid ${program}\\) is supervised again`),
    );
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "a taken-over program that ends is restarted by the saved policy, in the new supervisor's session",
  async ({ home, work, cli, tag }) => {
    const counter = join(work, "counter");
    assert.equal(
      cli([
        "start",
        "--name",
        "r",
        "--restart",
        "always",
        "--grace",
        "0.2",
        "--",
        ...counting(counter),
      ]).code,
      0,
    );
    const first = record(home, "r")!.program!;
    const supervisor = pidOf(home, "r");
    process.kill(supervisor, "SIGKILL");
    await until(() => !alive(supervisor), "the supervisor's death");
    assert.equal(cli(["start", "r"]).code, 0);
    const taker = pidOf(home, "r");
    process.kill(first, "SIGKILL");
    await until(() => {
      const now = record(home, "r");
      return !!now?.program && now.program !== first && !now.adopted;
    }, "a new run");
    const second = record(home, "r")!.program!;
    assert.match(readText(join(home, "r.log")), /daemonize: sh ended \(how is not known/);
    // Killed again: the pid file now names the new session, where the new run is.
    process.kill(taker, "SIGKILL");
    await until(() => !alive(taker), "the second supervisor's death");
    const stopped = cli(["stop", "r"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.ok(!alive(second), "stop found the restarted program");
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "a program that ended while unsupervised is started afresh, and its keeper ended",
  async ({ home, cli, tag }) => {
    assert.equal(
      cli(["start", "--name", "e", "--restart", "always", "--", "sleep", "300"]).code,
      0,
    );
    const { program, keeper } = record(home, "e")!;
    assert.ok(keeper && alive(keeper.pid), "its output has a keeper");
    process.kill(pidOf(home, "e"), "SIGKILL");
    process.kill(program!, "SIGKILL");
    await until(() => !alive(program!), "the program's end");
    const again = cli(["start", "e"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^e started \(pid \d+\)\n$/);
    assert.ok(!alive(keeper!.pid), "the old keeper is gone");
    assert.equal(cli(["stop", "e"]).code, 0);
    assert.deepEqual(tagged(tag), []);
  },
);

t(
  "up takes over a program of its file whose supervisor was killed, and starts the others",
  async ({ home, work, cli, tag }) => {
    const file = join(work, "daemonize.json");
    writeFileSync(
      file,
      JSON.stringify({
        daemons: [
          { name: "kept", command: ["sleep", "300"], restart: "always" },
          { name: "other", command: ["sleep", "300"] },
        ],
      }),
    );
    assert.equal(cli(["up", "-f", file, "kept"]).code, 0);
    const program = record(home, "kept")!.program!;
    const supervisor = pidOf(home, "kept");
    process.kill(supervisor, "SIGKILL");
    await until(() => !alive(supervisor), "the supervisor's death");
    const up = cli(["up", "-f", file]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(
      up.stdout,
      new RegExp(
        `^kept supervised again \\(pid \\d+\\): its program, pid ${program}, ran on$`,
        "m",
      ),
    );
    assert.match(up.stdout, /^other started \(pid \d+\)$/m);
    assert.equal(record(home, "kept")!.program, program);
    assert.equal(cli(["down", "-f", file]).code, 0);
    assert.ok(!alive(program));
    assert.deepEqual(tagged(tag), []);
  },
);
