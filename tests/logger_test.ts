/** Logger: levels, rotation with nothing lost or split, reopen, and use across daemonize(). */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chownSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { Logger } from "../mod.ts";
import {
  fixture,
  killTagged,
  newTag,
  readText,
  removeDir,
  run,
  runtimeCommand,
  tempDir,
  test,
  until,
  waitFor,
} from "./harness.ts";

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}line (\d+) x{40}$/;

/** Every line of the log and its backups, oldest first. */
function allLines(dir: string, name: string): string[] {
  const files = readdirSync(dir).filter((f) => f === name || f.startsWith(`${name}.`));
  const order = (f: string) => (f === name ? 0 : Number(f.slice(name.length + 1)));
  files.sort((a, b) => order(b) - order(a));
  return files.flatMap((f) => readText(join(dir, f)).split("\n").filter((l) => l !== ""));
}

test("log lines carry a timestamp and a level; lines below the level are left out", () => {
  const dir = tempDir();
  try {
    const path = join(dir, "app.log");
    const log = new Logger(path, { level: "info", reopenOn: null });
    log.debug("hidden");
    log.info("hello", { pid: 1 }, 2);
    log.error(new Error("bad"));
    log.close();
    const lines = readText(path).split("\n");
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}hello \{"pid":1\} 2$/);
    assert.match(lines[1]!, /^\S+ ERROR Error: bad$/);
    assert.ok(!readText(path).includes("hidden"));
    assert.throws(() => log.info("closed"), /logger for .* is closed/);
  } finally {
    removeDir(dir);
  }
});

test("rotation under a writer going flat out loses no line and splits none", () => {
  const dir = tempDir();
  try {
    const path = join(dir, "fast.log");
    const log = new Logger(path, { maxBytes: 64 * 1024, backups: 1000, reopenOn: null });
    const total = 30_000;
    const pad = "x".repeat(40);
    for (let i = 0; i < total; i++) log.info(`line ${i} ${pad}`);
    log.close();
    const files = readdirSync(dir).filter((f) => f.startsWith("fast.log"));
    assert.ok(files.length > 25, `only ${files.length} files: not enough rotations`);
    const lines = allLines(dir, "fast.log");
    assert.equal(lines.length, total);
    lines.forEach((line, i) => {
      const match = LINE.exec(line);
      assert.ok(match, `split or garbled line: ${line}`);
      assert.equal(Number(match[1]), i, "lines out of order or lost");
    });
    for (const file of files) {
      assert.ok(readText(join(dir, file)).length <= 64 * 1024, `${file} too big`);
    }
  } finally {
    removeDir(dir);
  }
});

test("only the given number of backups is kept; with none, the file is truncated", () => {
  const dir = tempDir();
  try {
    const kept = new Logger(join(dir, "kept.log"), { maxBytes: 100, backups: 2, reopenOn: null });
    for (let i = 0; i < 20; i++) kept.info(`entry ${i} ${"y".repeat(30)}`);
    kept.close();
    assert.deepEqual(readdirSync(dir).sort(), ["kept.log", "kept.log.1", "kept.log.2"]);
    assert.match(readText(join(dir, "kept.log")), /entry 19/);
    const none = new Logger(join(dir, "none.log"), { maxBytes: 100, backups: 0, reopenOn: null });
    for (let i = 0; i < 20; i++) none.info(`entry ${i} ${"y".repeat(30)}`);
    none.close();
    assert.ok(!readdirSync(dir).includes("none.log.1"));
    assert.ok(readText(join(dir, "none.log")).length <= 100);
  } finally {
    removeDir(dir);
  }
});

test("SIGUSR2 reopens the file after logrotate moved it, and no line is lost", async () => {
  const dir = tempDir();
  const command = runtimeCommand(fixture("log_writer.ts"), [join(dir, "w.log"), "1"]);
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout!.on("data", (d) => output += d);
  try {
    assert.ok(await waitFor(() => output.startsWith("ready"), 10_000));
    assert.ok(await waitFor(() => readText(join(dir, "w.log")).includes("line 20"), 15_000));
    renameSync(join(dir, "w.log"), join(dir, "w.log.1"));
    // Lines still go to the moved file until the signal: some do before it.
    const moved = readText(join(dir, "w.log.1")).length;
    await until(() => readText(join(dir, "w.log.1")).length > moved, "a line to the moved file");
    process.kill(child.pid!, "SIGUSR2");
    assert.ok(await waitFor(() => readText(join(dir, "w.log")).includes("line"), 15_000));
    process.kill(child.pid!, "SIGTERM");
    await new Promise((r) => child.on("close", r));
    const written = Number(output.split("\n")[1]);
    const lines = [
      ...readText(join(dir, "w.log.1")).split("\n"),
      ...readText(join(dir, "w.log")).split("\n"),
    ]
      .filter((l) => l !== "");
    assert.equal(lines.length, written);
    lines.forEach((line, i) => assert.match(line, new RegExp(` INFO {2}line ${i}$`)));
  } finally {
    child.kill("SIGKILL");
    removeDir(dir);
  }
});

test("a logger opened before daemonize() keeps writing from the daemon, after chdir and the drop to nobody", async () => {
  const dir = tempDir();
  const tag = newTag();
  try {
    for (const file of ["daemon.log", "stdout.log"]) {
      run(["touch", join(dir, file)]);
      chownSync(join(dir, file), 65534, 65534);
    }
    const ran = run(runtimeCommand(fixture("logging_daemon.ts"), [tag]), {
      cwd: dir,
      env: { DAEMON_USER: "nobody" },
    });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = Number(readText(join(dir, "d.pid")));
    const log = readText(join(dir, "daemon.log"));
    assert.match(log, /INFO {2}before daemonize \d+\n/);
    assert.match(log, new RegExp(`INFO {2}in the daemon ${pid} /\\n`));
    assert.match(log, /INFO {2}after reopen\n/);
    assert.equal(
      readText(join(dir, "stdout.log")),
      "console.log reaches the daemon's stdout file\n",
    );
  } finally {
    await killTagged(tag);
    removeDir(dir);
  }
});

test("a logger refuses options that make no sense", () => {
  assert.throws(() => new Logger("/tmp/x.log", { backups: -1 }), RangeError);
  assert.throws(() => new Logger("/tmp/x.log", { level: "loud" as "info" }), /unknown level loud/);
  void process;
});
