/**
 * Load and soak: a hundred daemons started, listed and stopped at once;
 * start/stop cycles of one name that leave no process, descriptor, pid
 * file or state file behind. The times are printed. LOAD_LONG=1 runs a
 * thousand cycles instead of a hundred.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import process from "node:process";
import { alive, cliCommand, form, formTest, pidOf, runAsync, tagged } from "./harness.ts";

const t: typeof formTest = (name, body) => formTest(name, body, 600_000);

/**
 * The descriptors the test's own process holds. Every process of the cycles
 * has ended (the tag finds none), so a descriptor they leaked can only be
 * here; the machine's count (file-nr) moves with whatever else runs on it.
 */
function openFiles(): number {
  return readdirSync("/proc/self/fd").length;
}

t(
  "a hundred daemons started at once all run, are all listed, and all stop at once",
  async ({ home, tag }) => {
    const n = 100;
    const env = { DAEMONIZE_HOME: home, TEST_TAG: tag };
    const names = Array.from({ length: n }, (_, i) => `load-${i}`);
    let began = performance.now();
    const starts = await Promise.all(
      names.map((name) =>
        runAsync(cliCommand(["start", "--name", name, "--", "sleep", "300"]), { env })
      ),
    );
    const startMs = performance.now() - began;
    starts.forEach((ran, i) => assert.equal(ran.code, 0, `${names[i]}: ${ran.stderr}`));
    const pids = names.map((name) => pidOf(home, name));
    assert.equal(new Set(pids).size, n);
    assert.ok(pids.every(alive));
    began = performance.now();
    const list = await runAsync(cliCommand(["status", "--json"]), { env });
    const listMs = performance.now() - began;
    assert.equal(list.code, 0, list.stderr);
    const listed = JSON.parse(list.stdout) as { name: string; state: string; pid: number }[];
    assert.deepEqual(
      listed.map((d) => [d.name, d.state, d.pid]).sort(),
      names.map((name, i) => [name, "running", pids[i]]).sort(),
    );
    began = performance.now();
    const stops = await Promise.all(
      names.map((name) => runAsync(cliCommand(["stop", name]), { env })),
    );
    const stopMs = performance.now() - began;
    stops.forEach((ran, i) => assert.equal(ran.code, 0, `${names[i]}: ${ran.stderr}`));
    assert.ok(!pids.some(alive), "every daemon stopped");
    assert.deepEqual(tagged(tag), []);
    assert.deepEqual(
      readdirSync(home).filter((f) => /\.(pid|identity|token|supervisor)$/.test(f)),
      [],
    );
    console.log(
      `${form}: ${n} daemons started at once in ${startMs.toFixed(0)} ms, listed in ${
        listMs.toFixed(0)
      } ms, stopped at once in ${stopMs.toFixed(0)} ms`,
    );
  },
);

t(
  "start/stop cycles of one name leave no process, descriptor, pid file or state file behind",
  async ({ home, tag }) => {
    const cycles = process.env.LOAD_LONG === "1" ? 1000 : 100;
    const env = { DAEMONIZE_HOME: home, TEST_TAG: tag };
    const cycle = async (i: number) => {
      // Supervised every other time: the supervisor's pipes and pidfds are counted too.
      const supervised = i % 2 ? ["--restart", "on-failure"] : [];
      const started = await runAsync(
        cliCommand(["start", "--name", "cycle", ...supervised, "--", "sleep", "300"]),
        { env },
      );
      assert.equal(started.code, 0, `cycle ${i}: ${started.stderr}`);
      const stopped = await runAsync(cliCommand(["stop", "cycle"]), { env });
      assert.equal(stopped.code, 0, `cycle ${i}: ${stopped.stderr}`);
    };
    await cycle(0);
    await cycle(1);
    const files = readdirSync(home).sort();
    const handles = openFiles();
    const began = performance.now();
    for (let i = 2; i < cycles; i++) await cycle(i);
    const ms = performance.now() - began;
    assert.deepEqual(tagged(tag), [], "no process left");
    assert.deepEqual(readdirSync(home).sort(), files, "the same files as after the first cycles");
    assert.deepEqual(
      files.filter((f) => /\.(pid|identity|token|supervisor|lock\.\d+)$/.test(f)),
      [],
    );
    // No growth with the cycles (the runtime's own work moves it a little).
    const grown = openFiles() - handles;
    assert.ok(grown < 20, `${grown} more open files after ${cycles - 2} cycles`);
    console.log(
      `${form}: ${cycles} start/stop cycles in ${(ms / 1000).toFixed(1)} s (${
        (ms / (cycles - 2)).toFixed(0)
      } ms a cycle); open files ${grown >= 0 ? "+" : ""}${grown}`,
    );
  },
);
