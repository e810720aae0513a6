/**
 * daemonize() end to end: real starters, real daemons, checked through /proc.
 * Each test tags its processes and kills what is left of them by pid.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import process from "node:process";
import { join } from "node:path";
import {
  alive,
  fixture,
  inMask,
  killTagged,
  newTag,
  openFiles,
  procStat,
  procStatus,
  readText,
  removeDir,
  runtime,
  runtimeCommand,
  shellQuote,
  startFixture,
  tagged,
  tempDir,
  test,
  waitFor,
} from "./harness.ts";

/** Runs `body` with a temp dir and a tag; cleans both up whatever happens. */
async function withDaemon(
  body: (dir: string, tag: string) => void | Promise<void>,
): Promise<void> {
  const dir = tempDir();
  const tag = newTag();
  try {
    await body(dir, tag);
  } finally {
    await killTagged(tag);
    removeDir(dir);
  }
}

function pidIn(path: string): number {
  return Number(readText(path).split("\n")[0]);
}

async function stopAndWait(pid: number): Promise<void> {
  process.kill(pid, "SIGTERM");
  assert.ok(await waitFor(() => !alive(pid), 5000), `pid ${pid} did not stop`);
}

const SIG = { HUP: 1, TERM: 15, TSTP: 20, TTIN: 21, TTOU: 22, USR1: 10 };

test("the starter exits 0 only once the daemon runs, detached twice in its own session", async () => {
  await withDaemon(async (dir, tag) => {
    const report = join(dir, "report");
    const pidFile = join(dir, "d.pid");
    const ran = startFixture(tag, report, { options: { pidFile } });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    assert.ok(alive(pid));
    assert.equal(pidIn(report), pid, "the daemon ran the code after daemonize()");
    const [, ppid, pgid, sid, ttyNr] = procStat(pid);
    assert.equal(Number(ttyNr), 0, "no controlling terminal");
    assert.notEqual(Number(sid), pid, "not a session leader");
    assert.notEqual(Number(pgid), pid, "not a process group leader");
    assert.equal(Number(ppid), 1, "reparented away from the starter");
    assert.deepEqual(tagged(tag), [pid], "only the daemon is left running");
  });
});

test("with singleDetach the daemon leads its own session", async () => {
  await withDaemon((dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const ran = startFixture(tag, join(dir, "report"), {
      options: { pidFile, singleDetach: true },
    });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    const [, , pgid, sid, ttyNr] = procStat(pid);
    assert.equal(Number(sid), pid);
    assert.equal(Number(pgid), pid);
    assert.equal(Number(ttyNr), 0);
  });
});

test("started from a terminal, the daemon has no controlling terminal and outlives it", async () => {
  await withDaemon(async (dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const command = runtimeCommand(fixture("report.ts"), [tag]);
    const env = `DAEMON_OPTIONS=${shellQuote([JSON.stringify({ pidFile })])} `;
    const ran = startFixture(tag, join(dir, "report"), {
      wrap: () => ["script", "-qec", `${env}${shellQuote(command)}; tty`, "/dev/null"],
    });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /\/dev\/pts\//, "the starter did run on a terminal");
    const pid = pidIn(pidFile);
    assert.ok(await waitFor(() => alive(pid), 1000));
    assert.equal(Number(procStat(pid)[4]), 0, "tty_nr is 0");
    for (const target of openFiles(pid).values()) {
      assert.doesNotMatch(target, /pts|tty/, `holds ${target}`);
    }
  });
});

test("the daemon's working directory, umask and core limit take their defaults", async () => {
  await withDaemon((dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const ran = startFixture(tag, join(dir, "report"), {
      options: { pidFile },
      wrap: (c) => ["sh", "-c", `umask 077; cd ${dir}; exec ${shellQuote(c)}`],
    });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    assert.equal(procStatus(pid).get("Umask"), "0022");
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), "/");
    assert.match(readFileSync(`/proc/${pid}/limits`, "utf8"), /Max core file size\s+0\s+0\s/);
    assert.equal((statSync(pidFile).mode & 0o777).toString(8), "644", "pid file mode");
  });
});

test("working directory, umask and core dumps follow the options", async () => {
  await withDaemon((dir, tag) => {
    const pidFile = join(dir, "d.pid");
    const ran = startFixture(tag, join(dir, "report"), {
      options: { pidFile, workingDirectory: dir, umask: 0o027, preventCore: false },
    });
    assert.equal(ran.code, 0, ran.stderr);
    const pid = pidIn(pidFile);
    assert.equal(procStatus(pid).get("Umask"), "0027");
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), dir);
    assert.doesNotMatch(readFileSync(`/proc/${pid}/limits`, "utf8"), /Max core file size\s+0\s+0\s/);
  });
});
