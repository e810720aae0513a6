/** The seed's three daemons, end to end: real daemons, a real SMTP server. */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { sendMail } from "../examples/smtp.ts";
import {
  cliCommand,
  killTagged,
  newTag,
  readText,
  removeDir,
  root,
  run,
  runtimeCommand,
  tagged,
  tempDir,
  test,
  waitFor,
} from "./harness.ts";

const example = (name: string) => join(root, "examples", `${name}.ts`);

interface Ctx {
  /** The state folder: the daemons' files only (a saved start is one of them). */
  home: string;
  /** The test's own files: configs, logs, data. */
  work: string;
  tag: string;
  /** Runs `examples/NAME.ts COMMAND` with the config file and a private state folder. */
  self(name: string, command: string, configVar: string, config: string): ReturnType<typeof run>;
}

async function withHome(body: (c: Ctx) => Promise<void> | void): Promise<void> {
  const home = tempDir();
  const work = tempDir();
  const tag = newTag();
  try {
    await body({
      home,
      work,
      tag,
      self: (name, command, configVar, config) =>
        run(runtimeCommand(example(name), [command]), {
          env: { DAEMONIZE_HOME: home, TEST_TAG: tag, [configVar]: config },
        }),
    });
  } finally {
    await killTagged(tag);
    removeDir(home);
    removeDir(work);
  }
}

function lines(path: string, pattern: RegExp): string[] {
  return readText(path).split("\n").filter((line) => pattern.test(line));
}

const CPU_LINE = / INFO {2}cpu \d+\.\d% load [\d.]+ [\d.]+ [\d.]+ mem \d+% used$/;

test("the CPU monitor runs as a self-controlled daemon and logs every interval", async () => {
  await withHome(async ({ work, self }) => {
    const log = join(work, "cpu.log");
    const config = join(work, "cpu.json");
    writeFileSync(config, JSON.stringify({ interval: 100, log }));
    const started = self("cpu_monitor", "start", "CPU_MONITOR_CONFIG", config);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /^cpu-monitor started \(pid \d+\)\n$/);
    assert.ok(await waitFor(() => lines(log, CPU_LINE).length >= 3, 20_000), readText(log));
    assert.equal(self("cpu_monitor", "status", "CPU_MONITOR_CONFIG", config).code, 0);
    const stopped = self("cpu_monitor", "stop", "CPU_MONITOR_CONFIG", config);
    assert.match(stopped.stdout, /^cpu-monitor stopped \(pid \d+\)\n$/);
    assert.match(readText(log), / INFO {2}cpu monitor stopping\n$/);
    assert.equal(self("cpu_monitor", "status", "CPU_MONITOR_CONFIG", config).code, 3);
  });
});

test("the CPU monitor runs under the daemonize command too, in its run form", async () => {
  await withHome(async ({ home, work, tag }) => {
    const log = join(work, "cpu.log");
    const config = join(work, "cpu.json");
    writeFileSync(config, JSON.stringify({ interval: 100, log }));
    const env = { DAEMONIZE_HOME: home, TEST_TAG: tag, CPU_MONITOR_CONFIG: config };
    // As the README has it: a path relative to where start is run.
    const program = runtimeCommand("examples/cpu_monitor.ts", ["run"]);
    const started = run(cliCommand(["start", "--name", "cpu", "--", ...program]), { env });
    assert.equal(started.code, 0, started.stderr);
    assert.ok(await waitFor(() => lines(log, CPU_LINE).length >= 2, 20_000), readText(log));
    const stopped = run(cliCommand(["stop", "cpu"]), { env });
    assert.match(stopped.stdout, /^cpu stopped \(pid \d+\)\n$/);
    assert.match(readText(log), /cpu monitor stopping\n$/);
  });
});

test("a bad example config is one line on stderr, exit 2, and nothing starts", async () => {
  await withHome(({ work, tag, self }) => {
    const config = join(work, "cpu.json");
    writeFileSync(config, JSON.stringify({ interval: -5 }));
    const ran = self("cpu_monitor", "start", "CPU_MONITOR_CONFIG", config);
    assert.equal(ran.code, 2);
    assert.equal(ran.stderr, 'config field "interval": expected a positive number, got -5\n');
    const unset = self("backup", "start", "UNSET", "");
    assert.equal(unset.code, 2);
    assert.equal(unset.stderr, "$BACKUP_CONFIG is not set: it names the JSON config file\n");
    const disk = join(work, "disk.json");
    writeFileSync(
      disk,
      JSON.stringify({
        from: "a@test.local",
        to: ["ops@test.local\r\nRCPT TO:<all@test.local>"],
        smtp: { host: "127.0.0.1" },
      }),
    );
    const injected = self("disk_alert", "start", "DISK_ALERT_CONFIG", disk);
    assert.equal(injected.code, 2);
    assert.equal(
      injected.stderr,
      'config field "to": invalid to address "ops@test.local\\r\\nRCPT TO:<all@test.local>"\n',
    );
    assert.deepEqual(tagged(tag), []);
  });
});

test("the backup daemon snapshots incrementally, keeps the last N, never shows a partial one", async () => {
  await withHome(async ({ work, self }) => {
    const source = join(work, "data");
    const destination = join(work, "backups");
    mkdirSync(join(source, "sub"), { recursive: true });
    writeFileSync(join(source, "a.txt"), "first\n");
    writeFileSync(join(source, "sub", "b.txt"), "unchanging\n");
    const log = join(work, "backup.log");
    const config = join(work, "backup.json");
    writeFileSync(config, JSON.stringify({ source, destination, interval: 150, keep: 2, log }));
    const started = self("backup", "start", "BACKUP_CONFIG", config);
    assert.equal(started.code, 0, started.stderr);
    assert.ok(await waitFor(() => lines(log, /snapshot .* linked/).length >= 2, 20_000));
    writeFileSync(join(source, "a.txt"), "second version\n");
    const changedAt = lines(log, /snapshot/).length;
    assert.ok(await waitFor(() => lines(log, /snapshot/).length >= changedAt + 2, 20_000));
    // status and stop need no config (BACKUP_CONFIG left unset here).
    assert.equal(self("backup", "status", "UNSET", "").code, 0);
    assert.match(self("backup", "stop", "UNSET", "").stdout, /^backup stopped/);
    const snapshots = readdirSync(destination).sort();
    assert.equal(snapshots.length, 2, `kept ${snapshots}`);
    assert.ok(snapshots.every((name) => /^\d{8}T\d{9}Z$/.test(name)), "a partial one is left");
    const [older, newer] = snapshots.map((name) => join(destination, name));
    assert.equal(readText(join(newer!, "a.txt")), "second version\n");
    assert.equal(
      statSync(join(older!, "sub", "b.txt")).ino,
      statSync(join(newer!, "sub", "b.txt")).ino,
      "an unchanged file was copied, not linked",
    );
    assert.match(readText(log), /snapshot \S+: 1 copied \(15 bytes\), 1 linked, 2 directories/);
  });
});

/** A real SMTP server (smtp-server, under Node) on 127.0.0.1. */
async function smtpServer(
  dir: string,
): Promise<{ port: number; mails: () => Record<string, unknown>[]; child: ChildProcess }> {
  const out = join(dir, "mails.jsonl");
  const child = spawn("node", [join(root, "tests", "fixtures", "smtp_server.cjs"), out], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let port = "";
  child.stdout!.on("data", (d) => port += d);
  assert.ok(await waitFor(() => /^\d+\n/.test(port), 20_000), "the SMTP server did not start");
  return {
    port: Number(port),
    // Whole lines only: a mail being written is not one yet.
    mails: () => readText(out).split("\n").slice(0, -1).map((l) => JSON.parse(l)),
    child,
  };
}

test("the disk alert mails one alert per crossing, over STARTTLS with AUTH, and a recovery", async () => {
  await withHome(async ({ work, self }) => {
    const server = await smtpServer(work);
    try {
      const log = join(work, "disk.log");
      const config = join(work, "disk.json");
      const write = (threshold: string) =>
        writeFileSync(
          config,
          JSON.stringify({
            paths: ["/"],
            threshold,
            interval: 100,
            log,
            from: "daemon@test.local",
            to: ["ops@test.local"],
            smtp: {
              host: "127.0.0.1",
              port: server.port,
              user: "daemon",
              pass: "secret",
              starttls: "required",
              rejectUnauthorized: false,
            },
          }),
        );
      write("100%");
      const started = self("disk_alert", "start", "DISK_ALERT_CONFIG", config);
      assert.equal(started.code, 0, started.stderr);
      assert.ok(await waitFor(() => server.mails().length === 1, 20_000), readText(log));
      // The point: a while of more checks (every 100 ms) of a disk still under
      // the threshold, in which a second alert would have gone out.
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(server.mails().length, 1, "more than one alert for one crossing");
      const alert = server.mails()[0]!;
      assert.equal(alert.from, "daemon@test.local");
      assert.deepEqual(alert.to, ["ops@test.local"]);
      assert.equal(alert.user, "daemon");
      assert.equal(alert.secure, true, "not sent over TLS");
      assert.match(String(alert.data), /^Subject: low disk space on \/ at .+$/m);
      assert.match(String(alert.data), /free of .* threshold 100%/);

      write("0%");
      assert.equal(self("disk_alert", "reload", "DISK_ALERT_CONFIG", config).code, 0);
      assert.ok(await waitFor(() => server.mails().length === 2, 20_000), readText(log));
      assert.match(String(server.mails()[1]!.data), /^Subject: disk space recovered on \/ at /m);
      assert.match(readText(log), /INFO {2}config reloaded/);
      assert.equal(self("disk_alert", "stop", "DISK_ALERT_CONFIG", config).code, 0);
    } finally {
      process.kill(server.child.pid!, "SIGKILL");
    }
  });
});

test("the mail of the examples goes in the clear when told to, and a refused login is an error", async () => {
  const dir = tempDir();
  const server = await smtpServer(dir);
  try {
    const mail = { from: "a@test.local", to: ["b@test.local"], subject: "s", text: ".x\ny" };
    const base = { host: "127.0.0.1", port: server.port, rejectUnauthorized: false };
    const plain = await sendMail({ ...base, starttls: "never" }, mail);
    assert.equal(plain.authenticated, false);
    assert.match(plain.reply, /^250 /);
    const received = server.mails()[0]!;
    assert.equal(received.secure, false, "sent in the clear");
    assert.match(String(received.data), /\r\n\.x\r\ny\r\n$/, "dot-stuffing undone");
    await assert.rejects(
      sendMail({ ...base, user: "daemon", pass: "wrong" }, mail),
      /535/,
    );
    assert.equal(server.mails().length, 1);
  } finally {
    process.kill(server.child.pid!, "SIGKILL");
    removeDir(dir);
  }
});

test("a line break in an address or the subject is refused before anything is sent", async () => {
  const dir = tempDir();
  const server = await smtpServer(dir);
  try {
    const base = { host: "127.0.0.1", port: server.port, starttls: "never" as const };
    const good = { from: "a@test.local", to: ["b@test.local"], subject: "s", text: "t" };
    const attacks: [Partial<typeof good>, RegExp][] = [
      [{ from: "a@test.local>\r\nRCPT TO:<c@test.local" }, /invalid from address/],
      [{ to: ["b@test.local\r\nDATA"] }, /invalid to address/],
      [{ to: ["b@test.local", "x y@test.local"] }, /invalid to address/],
      [{ subject: "hi\r\nBcc: c@test.local" }, /invalid subject .*: a line break/],
      [{ to: [] }, /no recipient/],
    ];
    for (const [change, message] of attacks) {
      await assert.rejects(sendMail(base, { ...good, ...change }), message);
    }
    assert.deepEqual(server.mails(), [], "nothing reached the server");
  } finally {
    process.kill(server.child.pid!, "SIGKILL");
    removeDir(dir);
  }
});

test("the backup daemon runs under the daemonize command in its run form", async () => {
  await withHome(async ({ home, work, tag }) => {
    const source = join(work, "data");
    mkdirSync(source);
    writeFileSync(join(source, "f"), "x\n");
    const log = join(work, "backup.log");
    const config = join(work, "backup.json");
    const destination = join(work, "backups");
    writeFileSync(config, JSON.stringify({ source, destination, interval: 100, keep: 3, log }));
    const env = { DAEMONIZE_HOME: home, TEST_TAG: tag, BACKUP_CONFIG: config };
    const program = runtimeCommand(example("backup"), ["run"]);
    const started = run(cliCommand(["start", "--name", "nightly", "--", ...program]), { env });
    assert.equal(started.code, 0, started.stderr);
    assert.ok(await waitFor(() => lines(log, /snapshot/).length >= 2, 20_000), readText(log));
    assert.match(run(cliCommand(["stop", "nightly"]), { env }).stdout, /^nightly stopped/);
    assert.match(readText(log), /backup stopping\n$/);
    assert.ok(readdirSync(destination).length <= 3);
  });
});
