/**
 * The library owns what a daemon's records mean: `status()` knows a
 * supervised daemon (its program, restarts, last exit, a failure), and
 * `signal()`/`reload()` judge whether the program handles the signal —
 * the same verdicts the command prints.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { reload, signal, status } from "../mod.ts";
import { alive, pidOf, procStat, readText, test, waitFor, withHome } from "./harness.ts";

function programOf(dir: string, name: string): number | null | undefined {
  const text = readText(join(dir, `${name}.pid.supervisor`));
  return text ? JSON.parse(text).program : undefined;
}

test(
  "status() says a supervised daemon whose supervisor gave up has failed",
  () =>
    withHome(async ({ home: dir, cli }) => {
      const started = cli([
        "start",
        "--name",
        "crash",
        "--restart",
        "on-failure",
        "--restart-delay",
        "0.1",
        "--max-restarts",
        "1",
        "--",
        "sh",
        "-c",
        "sleep 0.3; exit 3",
      ]);
      assert.equal(started.code, 0, started.stderr);
      const supervisor = pidOf(dir, "crash");
      assert.ok(await waitFor(() => !alive(supervisor), 15_000), "the supervisor gives up");
      const s = status(join(dir, "crash.pid"));
      assert.deepEqual(s, { state: "failed", restarts: 1, lastExit: "exited with status 3" });
      assert.equal(cli(["status", "crash"]).code, 3);
    }),
  60_000,
);

test(
  "status() names a supervised daemon's program, which is its supervisor's child",
  () =>
    withHome(async ({ home: dir, cli }) => {
      const started = cli(["start", "--name", "s", "--restart", "always", "--", "sleep", "300"]);
      assert.equal(started.code, 0, started.stderr);
      assert.ok(await waitFor(() => !!programOf(dir, "s"), 10_000), "the program is recorded");
      const s = status(join(dir, "s.pid"));
      assert.equal(s.state, "running");
      if (s.state !== "running") return;
      assert.equal(s.pid, pidOf(dir, "s"), "the main process is the supervisor");
      const program = s.supervised?.program;
      assert.ok(program, JSON.stringify(s));
      assert.equal(Number(procStat(program)[1]), s.pid, "the program is the supervisor's child");
      assert.ok(s.otherPids.includes(program));
      assert.deepEqual(
        { restarts: s.supervised!.restarts, policy: s.supervised!.restartPolicy },
        { restarts: 0, policy: "always" },
      );
      const json = JSON.parse(cli(["status", "s", "--json"]).stdout);
      assert.equal(json.pid, program, "the command shows the same program");
      assert.equal(json.supervisorPid, s.pid);
      assert.equal(cli(["stop", "s"]).code, 0);
    }),
  60_000,
);

test(
  "reload() refuses a signal the supervised program would die of, and sends one it handles",
  () =>
    withHome(async ({ home: dir, cli }) => {
      const plain = cli(["start", "--name", "p", "--restart", "always", "--", "sleep", "300"]);
      assert.equal(plain.code, 0, plain.stderr);
      const trapping = cli([
        "start",
        "--name",
        "h",
        "--restart",
        "always",
        "--",
        "sh",
        "-c",
        `trap 'echo reloaded' HUP; while :; do sleep 0.05; done`,
      ]);
      assert.equal(trapping.code, 0, trapping.stderr);
      assert.ok(await waitFor(() => !!programOf(dir, "p") && !!programOf(dir, "h"), 10_000));
      const program = programOf(dir, "p")!;
      const refused = reload(join(dir, "p.pid"));
      assert.deepEqual(refused, {
        sent: false,
        reason: "would-end",
        signal: "SIGHUP",
        pid: program,
        program: true,
        why: "neither catches nor ignores SIGHUP",
      });
      assert.ok(alive(program), "the program was not signalled");
      // The shell installs its trap as it starts: wait until /proc says it catches SIGHUP.
      const shell = programOf(dir, "h")!;
      assert.ok(
        await waitFor(() => caughtHup(shell), 5000),
      );
      const sent = reload(join(dir, "h.pid"));
      assert.equal(sent.sent, true, JSON.stringify(sent));
      assert.ok(
        await waitFor(() => /reloaded/.test(readText(join(dir, "h.log"))), 5000),
        "the program heard SIGHUP",
      );
      assert.deepEqual(signal(join(dir, "gone.pid"), "HUP"), {
        sent: false,
        reason: "not-running",
        signal: "SIGHUP",
      });
      assert.throws(() => signal(join(dir, "h.pid"), "SIGNOPE"), RangeError);
      assert.equal(cli(["stop", "p"]).code, 0);
      assert.equal(cli(["stop", "h"]).code, 0);
    }),
  60_000,
);

function caughtHup(pid: number): boolean {
  const line = readText(`/proc/${pid}/status`).match(/^SigCgt:\s*([0-9a-f]+)$/m)?.[1];
  return line !== undefined && (BigInt(`0x${line}`) & 1n) === 1n;
}
