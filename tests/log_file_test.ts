/**
 * The supervisor's log files: whole lines only, rotation by renaming, the
 * number of rotated files kept, reopening after an external rotation, a log
 * removed, moved or truncated under it, and lines a full disk or a missing
 * directory refuses, counted and said.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { LineCutter } from "../src/supervisor/line_cutter.ts";
import { LogFile } from "../src/supervisor/log_file.ts";
import { removeDir, run, tempDir, test } from "./harness.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function withDir(body: (dir: string) => void): () => void {
  return () => {
    const dir = tempDir();
    try {
      body(dir);
    } finally {
      removeDir(dir);
    }
  };
}

test(
  "a partial line waits for its end, and the rest of a stream is written with a newline",
  withDir((dir) => {
    const path = join(dir, "a.log");
    const log = new LogFile(path);
    const cutter = new LineCutter(log);
    cutter.push(bytes("one\ntw"));
    assert.equal(readFileSync(path, "utf8"), "one\n");
    cutter.push(bytes("o\nthr"));
    assert.equal(readFileSync(path, "utf8"), "one\ntwo\n");
    cutter.end();
    assert.equal(readFileSync(path, "utf8"), "one\ntwo\nthr\n");
    log.close();
  }),
);

test(
  "rotation renames between whole lines and keeps the newest files",
  withDir((dir) => {
    const path = join(dir, "r.log");
    const log = new LogFile(path, { maxSize: 100, keep: 3 });
    const cutter = new LineCutter(log);
    const lines = Array.from({ length: 200 }, (_, i) => `line ${String(i).padStart(4, "0")}\n`);
    // Pushed in odd-sized chunks, as a pipe hands them over.
    const all = lines.join("");
    for (let at = 0; at < all.length; at += 37) cutter.push(bytes(all.slice(at, at + 37)));
    cutter.end();
    log.close();
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, ["r.log", "r.log.1", "r.log.2", "r.log.3"]);
    const kept = [3, 2, 1].map((n) => readFileSync(`${path}.${n}`, "utf8")).join("") +
      readFileSync(path, "utf8");
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      assert.ok(text.length <= 100, `${f}: ${text.length} bytes`);
      assert.ok(text.endsWith("\n"));
    }
    assert.ok(all.endsWith(kept), "the newest lines, in order, none split or lost");
  }),
);

test(
  "a line longer than the limit goes whole into a file of its own",
  withDir((dir) => {
    const path = join(dir, "big.log");
    const log = new LogFile(path, { maxSize: 10, keep: 5 });
    log.write(bytes("short\n"));
    log.write(bytes("a line much longer than ten bytes\nend\n"));
    log.close();
    assert.equal(readFileSync(`${path}.2`, "utf8"), "short\n");
    assert.equal(readFileSync(`${path}.1`, "utf8"), "a line much longer than ten bytes\n");
    assert.equal(readFileSync(path, "utf8"), "end\n");
  }),
);

test(
  "reopen follows an external rotation that moved the file away",
  withDir((dir) => {
    const path = join(dir, "x.log");
    // Never looked at by itself here: only the reopen follows.
    const log = new LogFile(path, { lookEvery: Infinity });
    log.write(bytes("before\n"));
    renameSync(path, `${path}.old`);
    log.write(bytes("still old\n"));
    log.reopen();
    log.write(bytes("after\n"));
    log.close();
    assert.equal(readFileSync(`${path}.old`, "utf8"), "before\nstill old\n");
    assert.equal(readFileSync(path, "utf8"), "after\n");
  }),
);

test(
  "timestamps prefix every line",
  withDir((dir) => {
    const path = join(dir, "t.log");
    const log = new LogFile(path);
    const cutter = new LineCutter(log, true);
    cutter.push(bytes("a\nb\n"));
    log.close();
    assert.match(
      readFileSync(path, "utf8"),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z a\n\d{4}-\d\d-\d\dT\S+ b\n$/,
    );
  }),
);

test(
  "a rotation the directory refuses stops rotating and loses nothing",
  withDir((dir) => {
    const path = join(dir, "stuck.log");
    // A non-empty directory where the rotated file would go: rename fails.
    mkdirSync(`${path}.1`);
    writeFileSync(join(`${path}.1`, "keep"), "");
    const log = new LogFile(path, { maxSize: 10, keep: 1 });
    for (let i = 0; i < 20; i++) log.write(bytes(`line ${i}\n`));
    log.close();
    const lines = readFileSync(path, "utf8").trim().split("\n");
    assert.equal(lines.length, 20);
  }),
);

/** The numbered lines of `text` (`N` or `N …`), in order. */
function numbers(text: string): number[] {
  return text.split("\n").filter((l) => /^\d+( |$)/.test(l)).map((l) => parseInt(l));
}

test(
  "a removed log is created again at its path at the next look, with every line written after",
  withDir((dir) => {
    const path = join(dir, "gone.log");
    const log = new LogFile(path, { lookEvery: 0 });
    for (let n = 0; n < 10; n++) log.write(bytes(`${n}\n`));
    unlinkSync(path);
    for (let n = 10; n < 20; n++) log.write(bytes(`${n}\n`));
    log.close();
    assert.deepEqual(numbers(readFileSync(path, "utf8")), [...Array(10).keys()].map((n) => n + 10));
    assert.equal(log.droppedLines, 0);
  }),
);

test(
  "a renamed log keeps what was written to it, and the path gets what follows (logrotate create too)",
  withDir((dir) => {
    const path = join(dir, "moved.log");
    const log = new LogFile(path, { lookEvery: 0 });
    for (let n = 0; n < 5; n++) log.write(bytes(`${n}\n`));
    renameSync(path, `${path}.1`);
    for (let n = 5; n < 10; n++) log.write(bytes(`${n}\n`));
    // logrotate's `create`: moved, and a new empty file put in its place.
    renameSync(path, `${path}.2`);
    writeFileSync(path, "");
    for (let n = 10; n < 15; n++) log.write(bytes(`${n}\n`));
    log.close();
    assert.deepEqual(numbers(readFileSync(`${path}.1`, "utf8")), [0, 1, 2, 3, 4]);
    assert.deepEqual(numbers(readFileSync(`${path}.2`, "utf8")), [5, 6, 7, 8, 9]);
    assert.deepEqual(numbers(readFileSync(path, "utf8")), [10, 11, 12, 13, 14]);
  }),
);

test(
  "a log truncated in place (copytruncate) is counted from its new size and rotates at the limit",
  withDir((dir) => {
    const path = join(dir, "copied.log");
    const log = new LogFile(path, { maxSize: 100, keep: 2, lookEvery: 0 });
    log.write(bytes("x".repeat(89) + "\n"));
    truncateSync(path, 0);
    for (let n = 0; n < 9; n++) log.write(bytes(`line ${n}\n`));
    assert.equal(existsSync(`${path}.1`), false, "not rotated: the file holds 63 bytes");
    for (let n = 9; n < 20; n++) log.write(bytes(`line ${n}\n`));
    log.close();
    const first = readFileSync(`${path}.1`, "utf8");
    assert.ok(first.startsWith("line 0\n") && first.length > 90, first);
    assert.deepEqual(numbers((first + readFileSync(path, "utf8")).replaceAll("line ", "")), [
      ...Array(20).keys(),
    ]);
  }),
);

test(
  "rotation by size is not taken for a removal: a look at every write loses no line",
  withDir((dir) => {
    const path = join(dir, "own.log");
    const log = new LogFile(path, { maxSize: 64, keep: 100, lookEvery: 0 });
    for (let n = 0; n < 300; n++) log.write(bytes(`${n}\n`));
    log.close();
    const files = readdirSync(dir).filter((f) => f.startsWith("own.log.")).length;
    let all = "";
    for (let n = files; n >= 1; n--) all += readFileSync(`${path}.${n}`, "utf8");
    all += readFileSync(path, "utf8");
    assert.deepEqual(numbers(all), [...Array(300).keys()]);
  }),
);

test(
  "lines a full device refuses are counted, and the first write that works says how many and when",
  withDir((dir) => {
    const path = join(dir, "full.log");
    // The path names /dev/full (every write: ENOSPC) until the link is removed.
    symlinkSync("/dev/full", path);
    let lost: unknown;
    const log = new LogFile(path, { lookEvery: 0, onLoss: (error) => lost = error });
    for (let n = 0; n < 7; n++) log.write(bytes(`${n}\n`));
    log.write(bytes("7\n8\n"));
    assert.equal(log.droppedLines, 9);
    assert.equal(log.droppedBytes, 18);
    assert.match(String(lost), /No space left on device/);
    unlinkSync(path);
    log.write(bytes("9\n"));
    log.write(bytes("10\n"));
    log.close();
    const [note, ...rest] = readFileSync(path, "utf8").split("\n");
    assert.match(
      note!,
      /^daemonize: 9 lines \(18 bytes\) could not be written between (\S+Z) and (\S+Z) \(No space left on device\)$/,
    );
    for (const time of note!.match(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g)!) {
      assert.ok(Math.abs(Date.parse(time) - Date.now()) < 3600_000, time);
    }
    assert.deepEqual(rest, ["9", "10", ""]);
    assert.equal(log.droppedLines, 9, "a total, kept after the note");
  }),
);

test(
  "a log directory removed is created again by no one: lines are counted until it is back",
  withDir((dir) => {
    const logs = join(dir, "logs");
    mkdirSync(logs);
    const path = join(logs, "d.log");
    const log = new LogFile(path, { lookEvery: 0 });
    log.write(bytes("0\n"));
    removeDir(logs);
    for (let n = 1; n < 4; n++) log.write(bytes(`${n}\n`));
    assert.equal(log.droppedLines, 3);
    mkdirSync(logs);
    log.write(bytes("4\n"));
    log.close();
    assert.match(
      readFileSync(path, "utf8"),
      /^daemonize: 3 lines \(6 bytes\) could not be written between \S+ and \S+ \(No such file or directory\)\n4\n$/,
    );
  }),
);

test(
  "a write the disk can take only in part leaves no part of a line, and the note comes with the next line",
  withDir((dir) => {
    const mount = join(dir, "small");
    mkdirSync(mount);
    const mounted = run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount]);
    assert.equal(mounted.code, 0, mounted.stderr);
    try {
      const path = join(mount, "p.log");
      writeFileSync(join(mount, "fill"), new Uint8Array(20_000));
      const log = new LogFile(path);
      const line = (n: number) => bytes(`${String(n).padStart(5, "0")}${"x".repeat(994)}\n`);
      let n = 0;
      while (log.droppedLines < 3) log.write(line(n++));
      const written = readFileSync(path, "utf8");
      assert.equal(written.length, (n - 3) * 1000, "whole lines only, none of the notes");
      unlinkSync(join(mount, "fill"));
      log.write(line(n++));
      log.close();
      const after = readFileSync(path, "utf8").slice(written.length).split("\n");
      assert.match(after[0]!, /^daemonize: 3 lines \(3000 bytes\) could not be written between /);
      assert.equal(parseInt(after[1]!), n - 1);
      assert.deepEqual(after.slice(2), [""]);
    } finally {
      run(["umount", "-l", mount]);
    }
  }),
);

test(
  "a FIFO put in the log's place holds nothing up: its lines are counted until a file is back",
  withDir((dir) => {
    const path = join(dir, "fifo.log");
    const log = new LogFile(path, { lookEvery: 0 });
    unlinkSync(path);
    const made = run(["mkfifo", path]);
    assert.equal(made.code, 0, made.stderr);
    log.write(bytes("0\n"));
    log.write(bytes("1\n"));
    assert.equal(log.droppedLines, 2);
    unlinkSync(path);
    log.write(bytes("2\n"));
    log.close();
    assert.match(
      readFileSync(path, "utf8"),
      /^daemonize: 2 lines \(4 bytes\) could not be written between \S+ and \S+ \(No such device or address\)\n2\n$/,
    );
  }),
);
