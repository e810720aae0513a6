/**
 * A supervised program's log under faults, end to end (under Deno, Bun, or
 * the binary): removed or moved without a signal, on a full disk, in a
 * directory made read-only. The program writes a numbered line every 10 ms,
 * so what was lost, and that nothing else was, can be counted.
 */
import assert from "node:assert/strict";
import { mkdirSync, renameSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { formTest, openFiles, pidOf, readText, run, until } from "./harness.ts";

const t: typeof formTest = (name, body) => formTest(name, body, 90_000);

/** A program that writes `N PAD` lines (N from 0) and, after each, N into `counter`. */
function counting(counter: string, pad = 0): string[] {
  const filler = pad ? ` ${"x".repeat(pad)}` : "";
  return [
    "sh",
    "-c",
    `i=0; while :; do echo "$i${filler}"; echo $i > '${counter}'; i=$((i+1)); sleep 0.01; done`,
  ];
}

/** The numbered lines of `text`, in order. */
function numbers(text: string): number[] {
  return text.split("\n").filter((l) => /^\d+( |$)/.test(l)).map((l) => parseInt(l));
}

/** The last number the program counted to (-1 before its first). */
function counted(counter: string): number {
  const n = parseInt(readText(counter));
  return Number.isNaN(n) ? -1 : n;
}

/** Asserts `list` counts up by one, from `from` when given. */
function assertRun(list: number[], what: string, from?: number): void {
  assert.ok(list.length > 0, `${what}: no numbered line`);
  if (from !== undefined) assert.equal(list[0], from, `${what}: starts at ${from}`);
  for (let i = 1; i < list.length; i++) {
    assert.equal(list[i], list[i - 1]! + 1, `${what}: a gap after ${list[i - 1]}`);
  }
}

/** Our line saying what was lost. */
const NOTE =
  /^daemonize: (\d+) lines \((\d+) bytes\) could not be written between (\S+) and (\S+) \((.+)\)$/m;

/** The log around its one note of lines lost: the numbers before, the note, the numbers after. */
function aroundNote(text: string) {
  const notes = [...text.matchAll(new RegExp(NOTE.source, "gm"))];
  assert.equal(notes.length, 1, `one note of lines lost:\n${notes.map((m) => m[0]).join("\n")}`);
  const note = notes[0]!;
  return {
    before: numbers(text.slice(0, note.index)),
    after: numbers(text.slice(note.index! + note[0].length)),
    lines: Number(note[1]),
    bytes: Number(note[2]),
    from: note[3]!,
    to: note[4]!,
    reason: note[5]!,
  };
}

function mount(args: string[]): void {
  const done = run(["mount", ...args]);
  assert.equal(done.code, 0, `mount ${args.join(" ")}: ${done.stderr}`);
}

t(
  "a log removed under its supervisor is created again, and every line written after is there",
  async ({ home, work, cli }) => {
    const counter = join(work, "counter");
    const started = cli([
      "start",
      "--name",
      "rm",
      "--restart",
      "always",
      "--",
      ...counting(counter),
    ]);
    assert.equal(started.code, 0, started.stderr);
    const log = join(home, "rm.log");
    await until(() => numbers(readText(log)).length > 20, "20 lines in the log");
    unlinkSync(log);
    await until(
      () => numbers(readText(log)).length > 50,
      () => `the log created again, with 50 lines (${readText(log).length} bytes)`,
    );
    assert.equal(cli(["stop", "rm"]).code, 0);
    const again = numbers(readText(log));
    assert.ok(again[0]! > 20, `a new file, from ${again[0]}`);
    assertRun(again, "the new file");
  },
);

t(
  "a log moved under its supervisor keeps what was written to it, and the path gets every line after",
  async ({ home, work, cli }) => {
    const counter = join(work, "counter");
    const started = cli([
      "start",
      "--name",
      "mv",
      "--restart",
      "always",
      "--",
      ...counting(counter),
    ]);
    assert.equal(started.code, 0, started.stderr);
    const log = join(home, "mv.log");
    await until(() => numbers(readText(log)).length > 20, "20 lines in the log");
    renameSync(log, join(work, "mv.log.old"));
    await until(() => numbers(readText(log)).length > 50, "the log created again, with 50 lines");
    assert.equal(cli(["stop", "mv"]).code, 0);
    const old = numbers(readText(join(work, "mv.log.old")));
    assertRun(old, "the moved file", 0);
    assertRun([...old, ...numbers(readText(log))], "the moved file and the new one", 0);
  },
);

t(
  "a full disk holds up neither the program nor its supervisor, and the log then says exactly what was lost",
  async ({ home, work, cli }) => {
    const disk = join(work, "disk");
    mkdirSync(disk);
    mount(["-t", "tmpfs", "-o", "size=256k", "tmpfs", disk]);
    try {
      const counter = join(work, "counter");
      const log = join(disk, "app.log");
      // Lines of 1 KB: the 100 the program writes while the disk is full
      // are more than a pipe holds, so it was not held up.
      const program = counting(counter, 1000);
      const started = cli([
        "start",
        "--name",
        "full",
        "--restart",
        "always",
        "--log",
        log,
        "--",
        ...program,
      ]);
      assert.equal(started.code, 0, started.stderr);
      await until(() => numbers(readText(log)).length > 10, "10 lines in the log");
      run(["dd", "if=/dev/zero", `of=${join(disk, "fill")}`, "bs=4k"]);
      const last = () => numbers(readText(log)).at(-1) ?? -1;
      await until(
        () => counted(counter) > last() + 100,
        () => `the program 100 lines past its log (${counted(counter)}, logged ${last()})`,
      );
      unlinkSync(join(disk, "fill"));
      // And room to spare: at 100 lines a second the log would fill 256 KiB
      // again in a few seconds, a second loss, before a slow machine looks.
      mount(["-o", "remount,size=16m", disk]);
      // Read once a time: a note written with a line the disk then refused
      // is cut back with it, so a note may come and go before it stays.
      await until(
        () => {
          const text = readText(log);
          return NOTE.test(text) && aroundNote(text).after.length > 10;
        },
        () => `the note of lines lost, and 10 lines after it:\n${readText(log).slice(-300)}`,
      );
      const { before, after, lines, bytes, from, to, reason } = aroundNote(readText(log));
      assertRun(before, "before the note", 0);
      assertRun(after, "after the note");
      assert.equal(reason, "No space left on device");
      const lost = Array.from(
        { length: after[0]! - before.at(-1)! - 1 },
        (_, i) => before.at(-1)! + 1 + i,
      );
      assert.ok(lost.length >= 100, `${lost.length} lines lost`);
      assert.equal(lines, lost.length, "the lines lost, counted exactly");
      assert.equal(bytes, lost.reduce((sum, n) => sum + `${n} ${"x".repeat(1000)}\n`.length, 0));
      assert.ok(Date.parse(from) <= Date.parse(to), `${from} … ${to}`);
      // The supervisor's record carries the count from its next change.
      const record = () => JSON.parse(readText(join(home, "full.pid.supervisor")) || "{}");
      const first = record().program;
      process.kill(first, "SIGKILL");
      await until(
        () => record().program !== first && record().state === "running",
        "the program started again",
      );
      assert.equal(record().droppedLines, lines);
      assert.equal(cli(["stop", "full"]).code, 0);
    } finally {
      run(["umount", "-l", disk]);
    }
  },
);

t(
  "a log that cannot be opened again in a read-only directory: its lines are counted until it can",
  async ({ home, work, cli }) => {
    const logs = join(work, "logs");
    const back = join(work, "back");
    mkdirSync(logs);
    mkdirSync(back);
    const counter = join(work, "counter");
    const log = join(logs, "app.log");
    const started = cli([
      "start",
      "--name",
      "ro",
      "--restart",
      "always",
      "--log",
      log,
      "--",
      ...counting(counter),
    ]);
    assert.equal(started.code, 0, started.stderr);
    await until(() => numbers(readText(log)).length > 20, "20 lines in the log");
    const supervisor = pidOf(home, "ro");
    const holding = (path: string) =>
      [...openFiles(supervisor).values()].filter((target) => target === path).length;
    // A second way into the directory, then the directory read-only on top.
    mount(["--bind", logs, back]);
    let readOnly = false;
    try {
      mount(["--bind", "-o", "ro", logs, logs]);
      readOnly = true;
      const held = holding(log);
      renameSync(join(back, "app.log"), join(back, "app.log.old"));
      // The supervisor let the moved file go: the path could not be opened again.
      await until(
        // (Its descriptors of that file, not its own standard output and error.)
        () => holding(`${log}.old`) < held,
        () => `the moved log let go (${holding(`${log}.old`)} of ${held} descriptors on it)`,
      );
      const old = () => numbers(readText(join(back, "app.log.old")));
      await until(() => counted(counter) > old().at(-1)! + 20, "20 lines past the moved log");
      run(["umount", logs]);
      readOnly = false;
      await until(
        () => {
          const text = readText(log);
          return NOTE.test(text) && aroundNote(text).after.length > 10;
        },
        () => `the note of lines lost, and 10 lines after it: ${readText(log).slice(0, 300)}`,
      );
      const { before, after, lines, reason } = aroundNote(readText(log));
      assert.deepEqual(before, [], "the note first");
      assert.equal(reason, "Read-only file system");
      assertRun(old(), "the moved file", 0);
      assertRun(after, "after the note");
      assert.equal(lines, after[0]! - old().at(-1)! - 1, "the lines lost, counted exactly");
      assert.equal(cli(["stop", "ro"]).code, 0);
    } finally {
      if (readOnly) run(["umount", "-l", logs]);
      run(["umount", "-l", back]);
    }
  },
);
