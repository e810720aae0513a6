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
 * Starts a receiver at `address` for `seconds`; resolves once it listens,
 * with the promise of what it will have received.
 */
function receiver(address: string, seconds: number): Promise<{ datagrams: Promise<Datagram[]> }> {
  return new Promise((listening, fail) => {
    const child = spawn("python3", [fixture("notify_receiver.py"), address, String(seconds)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    let resolveAll: (d: Datagram[]) => void;
    const all = new Promise<Datagram[]>((r) => resolveAll = r);
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      if (out.startsWith("listening\n")) listening({ datagrams: all });
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
        const { datagrams } = await receiver(address, 1.5);
        const ran = run(runtimeCommand(notifying, ["calls"]), { env: { NOTIFY_SOCKET: address } });
        assert.equal(ran.code, 0, ran.stderr);
        const { pid, results } = JSON.parse(ran.stdout);
        assert.deepEqual(results, [true, true, true, true, true]);
        const got = await datagrams;
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
  const { datagrams } = await receiver(address, 2.5);
  const fed = run(runtimeCommand(notifying, ["watchdog", "1000"]), {
    env: { NOTIFY_SOCKET: address, WATCHDOG_USEC: "200000" },
  });
  assert.equal(fed.code, 0, fed.stderr);
  const other = run(runtimeCommand(notifying, ["watchdog", "500"]), {
    env: { NOTIFY_SOCKET: address, WATCHDOG_USEC: "200000", WATCHDOG_PID: "1" },
  });
  assert.equal(other.code, 0, other.stderr);
  const got = (await datagrams).map((d) => d);
  assert.ok(got.every((d) => d.message === "WATCHDOG=1\n"));
  // Every 100 ms for about a second: about 10, none from the other pid's run.
  assert.ok(got.length >= 6 && got.length <= 14, `${got.length} datagrams`);
  const gaps = got.slice(1).map((d, i) => (d.at - got[i]!.at) / 1000);
  assert.ok(gaps.every((ms) => ms > 50 && ms < 400), `gaps ${gaps.map(Math.round).join(", ")} ms`);
});

test(`[${form}] notify.ready() is the readiness sign of start --notify`, async () => {
  await withHome(({ dir, cli }) => {
    const ran = cli([
      "start",
      "--name",
      "ready",
      "--notify",
      "--",
      ...runtimeCommand(notifying, ["server"]),
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.ok(alive(pidOf(dir, "ready")));
    assert.equal(cli(["stop", "ready"]).code, 0);
  });
});
