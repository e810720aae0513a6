/**
 * The library's sd_notify calls against a real datagram receiver (a path
 * and an abstract name), the automatic watchdog, and the same call as the
 * readiness sign of `daemonize start --notify`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import {
  alive,
  fixture,
  form,
  pidOf,
  run,
  runtimeCommand,
  test,
  withHome,
  withTemp,
} from "./harness.ts";

interface Datagram {
  message: string;
  at: number;
}

/**
 * Starts a receiver at `address`; resolves once it listens, with `end()`,
 * which gives what it received. Called once the senders have ended, it
 * misses nothing however slowly they ran: a datagram sent is already queued.
 */
function receiver(address: string): Promise<{ end(): Promise<Datagram[]> }> {
  return new Promise((listening, fail) => {
    const child = spawn("python3", [fixture("notify_receiver.py"), address, "120"], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    let resolveAll: (d: Datagram[]) => void;
    const all = new Promise<Datagram[]>((r) => resolveAll = r);
    const end = () => {
      child.stdin!.end();
      return all;
    };
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      if (out.startsWith("listening\n")) listening({ end });
    });
    child.on("error", fail);
    child.on("close", () => {
      if (!out.startsWith("listening\n")) fail(new Error("the receiver did not start"));
      resolveAll(out.split("\n").slice(1).filter(Boolean).map((l) => JSON.parse(l)));
    });
  });
}

const notifying = fixture("notifying.ts");

for (const kind of ["abstract", "path"] as const) {
  test(
    `[${form === "binary" ? "bun" : form}] each notify call reaches a receiver at ${
      kind === "abstract" ? "an abstract name" : "a socket path"
    }`,
    async () => {
      await withTemp(async (dir) => {
        const address = kind === "abstract"
          ? `@daemonize-test-${process.pid}-${Date.now()}`
          : join(dir, "notify");
        const { end } = await receiver(address);
        const ran = run(runtimeCommand(notifying, ["calls"]), { env: { NOTIFY_SOCKET: address } });
        assert.equal(ran.code, 0, ran.stderr);
        const { pid, results } = JSON.parse(ran.stdout);
        assert.deepEqual(results, [true, true, true, true, true]);
        const got = await end();
        assert.deepEqual(
          got.map((d) => d.message.replace(/MONOTONIC_USEC=\d+/, "MONOTONIC_USEC=N")),
          [
            "STATUS=warming up second line\n",
            `READY=1\nMAINPID=${pid}\nSTATUS=serving\n`,
            "RELOADING=1\nMONOTONIC_USEC=N\n",
            "STOPPING=1\n",
            "WATCHDOG=1\n",
          ],
        );
        // MONOTONIC_USEC is CLOCK_MONOTONIC, as systemd compares it.
        const sent = Number(/MONOTONIC_USEC=(\d+)/.exec(got[2]!.message)![1]);
        assert.ok(Math.abs(got[2]!.at - sent) < 2_000_000, `${sent} vs ${got[2]!.at}`);
      });
    },
  );
}

test(`[${form === "binary" ? "bun" : form}] without NOTIFY_SOCKET each call says no manager was told`, () => {
  const ran = run(runtimeCommand(notifying, ["calls"]), { env: { NOTIFY_SOCKET: "" } });
  assert.equal(ran.code, 0, ran.stderr);
  assert.deepEqual(JSON.parse(ran.stdout).results, [false, false, false, false, false]);
});

test(`[${form === "binary" ? "bun" : form}] the watchdog is fed at half of WATCHDOG_USEC, and not for another pid`, async () => {
  const address = `@daemonize-watchdog-${process.pid}-${Date.now()}`;
  const { end } = await receiver(address);
  const fed = run(runtimeCommand(notifying, ["watchdog", "1000"]), {
    env: { NOTIFY_SOCKET: address, WATCHDOG_USEC: "200000" },
  });
  assert.equal(fed.code, 0, fed.stderr);
  const other = run(runtimeCommand(notifying, ["watchdog", "500"]), {
    env: { NOTIFY_SOCKET: address, WATCHDOG_USEC: "200000", WATCHDOG_PID: "1" },
  });
  assert.equal(other.code, 0, other.stderr);
  const got = await end();
  assert.ok(got.every((d) => d.message === "WATCHDOG=1\n"));
  // Every 100 ms for about a second: about 10, none from the other pid's run.
  assert.ok(got.length >= 6 && got.length <= 14, `${got.length} datagrams`);
  const gaps = got.slice(1).map((d, i) => (d.at - got[i]!.at) / 1000);
  // Never sooner than half the period; a loaded machine may delay one, not most.
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
  const shown = `gaps ${gaps.map(Math.round).join(", ")} ms`;
  assert.ok(gaps.every((ms) => ms > 50), shown);
  assert.ok(median < 200, shown);
});

test(`[${form}] notify.ready() is the readiness sign of start --notify`, async () => {
  await withHome(({ home, cli }) => {
    const ran = cli([
      "start",
      "--name",
      "ready",
      "--notify",
      "--",
      ...runtimeCommand(notifying, ["server"]),
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.ok(alive(pidOf(home, "ready")));
    assert.equal(cli(["stop", "ready"]).code, 0);
  });
});
