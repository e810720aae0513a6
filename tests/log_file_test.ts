/**
 * The supervisor's log files: whole lines only, rotation by renaming, the
 * number of rotated files kept, reopening after an external rotation.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LineCutter, LogFile } from "../src/supervisor/log_file.ts";
import { removeDir, tempDir, test } from "./harness.ts";

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
    const log = new LogFile(path);
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
