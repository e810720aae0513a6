/**
 * Restart on change end to end (under Deno, Bun, or the binary): a burst of
 * changes restarts the program once; ignored paths restart nothing; the
 * whole last run is gone before the next starts (its port is free); an idle
 * watch costs no CPU; and what can't be watched is refused at start.
 *
 * Each program appends its pid to a file of the test's when it starts, so
 * that runs are counted. That no further restart follows a burst is shown by
 * a later marker: a change made after it restarts the program with the
 * marker as its first change, and no other restart comes between.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDaemonFile } from "../src/cli/daemon_file.ts";
import { checkProgram } from "../src/daemon/program.ts";
import { fixture, formTest, freePort, procStat, python, readText, test, until } from "./harness.ts";

const t: typeof formTest = (name, body) => formTest(name, body, 120_000);

/** A program that appends its pid to `runs`, then sleeps. */
function counted(work: string): { script: string; runs: string } {
  const runs = join(work, "runs");
  const script = join(work, "program.sh");
  writeFileSync(script, `echo $$ >> '${runs}'\nexec sleep 1000\n`);
  return { script, runs };
}

function lines(path: string): string[] {
  return readText(path).split("\n").filter((line) => line !== "");
}

/** The supervisor's lines about restarts for changes. */
function changeLines(work: string): string[] {
  return lines(join(work, "log")).filter((line) => / under its watched paths /.test(line));
}

/** Makes `marker` (one change) and waits for the run it starts, the `n`th. */
async function restartByMarker(marker: string, runs: string, n: number): Promise<void> {
  mkdirSync(marker);
  await until(() => lines(runs).length >= n, () => `run ${n}, after ${marker}`);
}

t(
  "touching 1,000 files within 100 ms in a watched folder restarts the program exactly once",
  async ({ work, cli }) => {
    const { script, runs } = counted(work);
    const src = join(work, "src");
    mkdirSync(src);
    const started = cli([
      "start",
      "--name",
      "app",
      "--log",
      join(work, "log"),
      "--watch",
      "src",
      "--cwd",
      work,
      "--",
      "/bin/sh",
      script,
    ]);
    assert.equal(started.code, 0, started.stderr);
    await until(() => lines(runs).length === 1, "the first run");
    for (let i = 0; i < 1000; i++) writeFileSync(join(src, `file${i}.txt`), "");
    await until(() => lines(runs).length >= 2, "the restart after the burst");
    await restartByMarker(join(src, "marker"), runs, 3);
    assert.equal(lines(runs).length, 3, readText(runs));
    const said = changeLines(work);
    assert.equal(said.length, 2, said.join("\n"));
    assert.match(
      said[0]!,
      /had \d+ changes under its watched paths \(first: .*\/src\/file\d+\.txt\)/,
    );
    assert.match(said[1]!, /\(first: .*\/src\/marker\)/);
    const status = cli(["status", "app"]);
    assert.match(
      status.stdout,
      /2 restarts, .*watching \d+ paths?, restarted for a change \d+s ago/,
    );
  },
);

t("a write in an ignored folder or to an ignored file restarts nothing", async ({ work, cli }) => {
  const { script, runs } = counted(work);
  const src = join(work, "src");
  for (const dir of ["node_modules/pkg", ".git", "build/out"]) {
    mkdirSync(join(src, dir), { recursive: true });
  }
  const started = cli([
    "start",
    "--name",
    "app",
    "--log",
    join(work, "log"),
    "--watch",
    src,
    "--watch-ignore",
    "build/**",
    "--watch-ignore",
    "*.log",
    "--",
    "/bin/sh",
    script,
  ]);
  assert.equal(started.code, 0, started.stderr);
  await until(() => lines(runs).length === 1, "the first run");
  writeFileSync(join(src, "node_modules", "pkg", "index.js"), "changed");
  writeFileSync(join(src, ".git", "index"), "changed");
  writeFileSync(join(src, "build", "out", "bundle.js"), "changed");
  writeFileSync(join(src, "debug.log"), "changed");
  // Counted, they would be the first change of the marker's burst, or a restart of their own.
  await restartByMarker(join(src, "marker"), runs, 2);
  assert.equal(lines(runs).length, 2, readText(runs));
  const said = changeLines(work);
  assert.equal(said.length, 1, said.join("\n"));
  assert.match(said[0]!, /\(first: .*\/src\/marker\)/);
});

t(
  "a server that takes 1 s to close its port is restarted by a change and binds it again",
  async ({ work, cli }) => {
    const port = await freePort();
    const runs = join(work, "runs");
    const failures = join(work, "failures");
    const server = fixture("slow_server.py");
    const src = join(work, "src");
    mkdirSync(src);
    // The server is the shell's child: the shell ends at once on SIGTERM, the server not.
    const command = `'${python()}' '${server}' ${port} '${runs}' '${failures}' & wait`;
    const started = cli([
      "start",
      "--name",
      "web",
      "--log",
      join(work, "log"),
      "--watch",
      src,
      "--",
      "/bin/sh",
      "-c",
      command,
    ]);
    assert.equal(started.code, 0, started.stderr);
    await until(() => lines(runs).length === 1, "the server listening");
    writeFileSync(join(src, "app.py"), "changed");
    await until(
      () => lines(runs).length === 2 || readText(failures) !== "",
      "the server listening again",
    );
    assert.equal(readText(failures), "");
    assert.match(
      readText(join(work, "log")),
      /1 process of the last run left \(pid \d+\): ending it first/,
    );
  },
);

/** The CPU time (user and system, clock ticks) process `pid` has used. */
function ticks(pid: number): number {
  const stat = procStat(pid);
  return Number(stat[13]) + Number(stat[14]);
}

t(
  "an idle supervisor watching a tree of 500 folders uses no CPU for 5 s",
  async ({ home, work, cli }) => {
    const { script, runs } = counted(work);
    const src = join(work, "src");
    for (let i = 0; i < 500; i++) mkdirSync(join(src, `d${i % 20}`, `e${i}`), { recursive: true });
    const started = cli(["start", "--name", "idle", "--watch", src, "--", "/bin/sh", script]);
    assert.equal(started.code, 0, started.stderr);
    await until(() => lines(runs).length === 1, "the first run");
    const supervisor = Number(readText(join(home, "idle.pid")));
    // Its start-up settles first (the runtime's own collection and compilation).
    let last = ticks(supervisor);
    let since = Date.now();
    await until(
      () => {
        const now = ticks(supervisor);
        if (now !== last) [last, since] = [now, Date.now()];
        return Date.now() - since >= 5000;
      },
      () => `5 s without a clock tick of the supervisor (it has used ${last})`,
      60_000,
    );
    // Still watching, all the while.
    await restartByMarker(join(src, "d7", "marker"), runs, 2);
  },
);

t(
  "a watch that needs more inotify watches than the host has free is refused before anything runs",
  ({ work, cli }) => {
    const { script, runs } = counted(work);
    const src = join(work, "src");
    for (let i = 0; i < 20; i++) mkdirSync(join(src, `d${i}`), { recursive: true });
    const ran = cli(["start", "--name", "big", "--watch", src, "--", "/bin/sh", script], {
      DAEMONIZE_TEST_INOTIFY_LIMIT: "10",
    });
    assert.equal(ran.code, 2, ran.stderr);
    assert.equal(ran.stderr.trim().split("\n").length, 1, ran.stderr);
    assert.match(
      ran.stderr,
      /--watch: more than 10 directories to watch, but DAEMONIZE_TEST_INOTIFY_LIMIT is 10/,
    );
    assert.equal(readText(runs), "");
    // Within the limit, the same watch starts.
    const fits = cli(["start", "--name", "big", "--watch", src, "--", "/bin/sh", script], {
      DAEMONIZE_TEST_INOTIFY_LIMIT: "21",
    });
    assert.equal(fits.code, 0, fits.stderr);
  },
);

t("a watched path that does not exist is refused, named", ({ home, work, cli }) => {
  const { script, runs } = counted(work);
  const ran = cli([
    "start",
    "--name",
    "gone",
    "--cwd",
    work,
    "--watch",
    "nowhere",
    "--",
    "/bin/sh",
    script,
  ]);
  assert.equal(ran.code, 2, ran.stderr);
  assert.equal(
    ran.stderr,
    `daemonize: --watch ${
      join(work, "nowhere")
    }: no such file or directory (see 'daemonize start --help')\n`,
  );
  assert.equal(readText(runs), "");
  // Nothing of the name was written, its start's lock neither.
  const left = readdirSync(home, { recursive: true }).map(String);
  assert.deepEqual(left.filter((f) => f.split("/").pop()!.startsWith("gone")), []);
});

t("unit says --watch has no systemd counterpart", ({ cli }) => {
  const ran = cli(["unit", "--name", "svc", "--watch", "/etc", "--", "sleep", "1000"]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(
    ran.stderr,
    /--watch has no systemd setting \(systemd has no restart on a file change\): left out/,
  );
});

test("a file's watch paths are relative to the file, and its watchIgnore and watchDebounce are taken", () => {
  const [d] = parseDaemonFile(
    "daemonize.json",
    JSON.stringify({
      daemons: [{
        name: "app",
        command: ["sleep", "1000"],
        cwd: "run",
        watch: ["src", "/etc/app.conf"],
        watchIgnore: ["*.tmp"],
        watchDebounce: 50,
      }],
    }),
    "/srv/app",
  );
  assert.deepEqual(d!.parsed.supervision?.watch, {
    paths: ["/srv/app/src", "/etc/app.conf"],
    ignore: ["*.tmp"],
    debounce: 50,
  });
});

test("the library refuses a watch with a relative path, naming the field", () => {
  const supervise = {
    restart: "no",
    restartDelay: 100,
    maxRestarts: 5,
    restartWindow: 60_000,
  } as const;
  assert.throws(
    () =>
      checkProgram({
        command: ["sleep", "1"],
        supervise: { ...supervise, watch: { paths: ["src"], ignore: [], debounce: 300 } },
      }),
    /Invalid program\.supervise\.watch\.paths: expected absolute paths/,
  );
  checkProgram({
    command: ["sleep", "1"],
    supervise: { ...supervise, watch: { paths: ["/srv/app"], ignore: ["*.log"], debounce: 0 } },
  });
});
