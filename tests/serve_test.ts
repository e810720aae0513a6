/**
 * `daemonize serve`: its JSON API gives what `status --json` gives, its
 * event streams follow a log, and its guard holds (no control without the
 * token, no open address without one, no client that stops it answering).
 * The Prometheus server and the browser that read it: serve_view_test.ts.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import process from "node:process";
import {
  alive,
  cliCommand,
  formTest,
  freePort,
  pidOf,
  readText,
  root,
  run,
  until,
} from "./harness.ts";
import { exchange, readEvents, startServe, steady } from "./serve_harness.ts";

const t = formTest;

t(
  "serve's /api/daemons gives the objects status --json lists, and /api/daemons/NAME one",
  async (c) => {
    assert.equal(c.cli(["start", "--name", "web", "--", "sleep", "300"]).code, 0);
    assert.equal(
      c.cli(["start", "--name", "job", "--restart", "always", "--", "sleep", "300"]).code,
      0,
    );
    assert.equal(c.cli(["start", "--name", "gone", "--", "sleep", "300"]).code, 0);
    assert.equal(c.cli(["stop", "gone"]).code, 0);
    const serve = await startServe(c);
    try {
      const api = await (await fetch(`${serve.url}/api/daemons`)).json() as Record<
        string,
        unknown
      >[];
      const cli = JSON.parse(c.cli(["status", "--json"]).stdout) as Record<string, unknown>[];
      assert.deepEqual(api.map((r) => r.name), ["gone", "job", "web"]);
      assert.deepEqual(api.map(steady), cli.map(steady));
      const web = await fetch(`${serve.url}/api/daemons/web`);
      assert.equal(web.headers.get("content-type"), "application/json; charset=utf-8");
      assert.deepEqual(steady(await web.json()), steady(cli.find((r) => r.name === "web")!));
      const missing = await fetch(`${serve.url}/api/daemons/nothing`);
      assert.equal(missing.status, 404);
      assert.match((await missing.json()).error, /no daemon named "nothing"/);
      const bad = await fetch(`${serve.url}/api/daemons/web/logs?lines=many`);
      assert.equal(bad.status, 400);
      assert.match((await bad.json()).error, /lines/);
    } finally {
      await serve.stop();
    }
  },
);

t(
  "A log followed through serve's event stream receives a line written after connecting",
  async (c) => {
    const go = join(c.work, "go");
    const script =
      `echo before; while [ ! -e ${go} ]; do sleep 0.05; done; echo after-connecting; exec sleep 300`;
    assert.equal(c.cli(["start", "--name", "talker", "--", "sh", "-c", script]).code, 0);
    const serve = await startServe(c);
    try {
      const log = join(c.home, "talker.log");
      await until(
        () => readText(log) === "before\n",
        () => `its first line; the log: ${readText(log)}`,
      );
      const tail = await (await fetch(`${serve.url}/api/daemons/talker/logs?lines=5`)).json();
      assert.deepEqual(tail.lines, ["before"]);
      const stream = await readEvents(`${serve.url}/api/daemons/talker/logs?lines=5&follow=1`);
      try {
        await until(() => stream.events.length > 0, "the stream's first lines");
        assert.deepEqual(stream.events[0], { event: "lines", data: ["before"] });
        writeFileSync(go, "");
        await until(
          () => stream.events.some((e) => (e.data as string[]).includes("after-connecting")),
          () => `the line written after connecting; got ${JSON.stringify(stream.events)}`,
        );
      } finally {
        stream.close();
      }
    } finally {
      await serve.stop();
    }
  },
);

t(
  "A control request without the token is 401 and changes nothing; with it, it is done",
  async (c) => {
    assert.equal(c.cli(["start", "--name", "web", "--", "sleep", "300"]).code, 0);
    const pid = pidOf(c.home, "web");
    const tokenFile = join(c.work, "token");
    const token = "s3cret-token-of-this-test-0123456789";
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const serve = await startServe(c, ["--control", "--token-file", tokenFile]);
    try {
      const stop = `${serve.url}/api/daemons/web/stop`;
      for (const headers of [{}, { authorization: "Bearer wrong" }, { cookie: `token=${token}` }]) {
        const refused = await fetch(stop, { method: "POST", headers });
        assert.equal(refused.status, 401);
        assert.match((await refused.json()).error, /bearer token/);
      }
      const byGet = await fetch(stop);
      assert.equal(byGet.status, 405);
      await byGet.body?.cancel();
      assert.ok(alive(pid), "the daemon still runs");
      assert.equal(pidOf(c.home, "web"), pid);
      const done = await fetch(stop, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(done.status, 200);
      const body = await done.json();
      assert.equal(body.status, 0);
      assert.equal(body.daemon.state, "stopped");
      assert.ok(!alive(pid));
    } finally {
      await serve.stop();
    }
  },
);

t(
  "A read-only serve refuses control (403) and other methods (405), with JSON errors",
  async (c) => {
    assert.equal(c.cli(["start", "--name", "web", "--", "sleep", "300"]).code, 0);
    const pid = pidOf(c.home, "web");
    const serve = await startServe(c);
    try {
      const control = await fetch(`${serve.url}/api/daemons/web/restart`, { method: "POST" });
      assert.equal(control.status, 403);
      assert.match((await control.json()).error, /--control/);
      const other = await fetch(`${serve.url}/api/daemons`, { method: "DELETE" });
      assert.equal(other.status, 405);
      assert.match((await other.json()).error, /DELETE/);
      // A page of another site reaching it through a name of its own (DNS rebinding).
      const foreign = await exchange(
        Number(new URL(serve.url).port),
        "GET /api/daemons HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
      );
      assert.match(foreign, /^HTTP\/1\.1 403 /);
      assert.equal(pidOf(c.home, "web"), pid);
      assert.ok(alive(pid));
    } finally {
      await serve.stop();
    }
  },
);

t("serve refuses to listen on 0.0.0.0 without a token: exit 2, one line", (c) => {
  const ran = c.cli(["serve", "--listen", "0.0.0.0:9321"]);
  assert.equal(ran.code, 2);
  assert.equal(ran.stdout, "");
  assert.match(ran.stderr, /^daemonize: serve: 0\.0\.0\.0 is not a loopback address: [^\n]*\n$/);
});

t("serve refuses a token file others can read (mode 0644): exit 2, one line", (c) => {
  const tokenFile = join(c.work, "token");
  writeFileSync(tokenFile, "a-token-long-enough-for-serve\n", { mode: 0o644 });
  const ran = c.cli(["serve", "--control", "--token-file", tokenFile]);
  assert.equal(ran.code, 2);
  assert.match(
    ran.stderr,
    /^daemonize: --token-file [^\n]*: mode 0644 lets others read it[^\n]*\n$/,
  );
  const without = c.cli(["serve", "--control"]);
  assert.equal(without.code, 2);
  assert.match(without.stderr, /--control needs --token-file/);
});

t(
  "A malformed request line, a 10 MB header, a slow client and 1,000 idle connections leave serve answering",
  async (c) => {
    assert.equal(c.cli(["start", "--name", "web", "--", "sleep", "300"]).code, 0);
    const serve = await startServe(c);
    const port = Number(new URL(serve.url).port);
    const answers = async () => (await fetch(`${serve.url}/api/daemons/web`)).status === 200;
    const idle: Socket[] = [];
    try {
      const malformed = await exchange(port, "GARBAGE\r\n\r\n");
      assert.match(malformed, /^HTTP\/1\.1 400 /);
      assert.match(malformed, /\{"error":"bad request"\}/);
      assert.ok(await answers());
      const huge = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${
        "a".repeat(10 * 1024 * 1024)
      }\r\n\r\n`;
      const refused = await exchange(port, huge);
      assert.doesNotMatch(refused, /^HTTP\/1\.1 2/);
      assert.ok(await answers());
      // A client sending its head a byte at a time is cut off.
      const slow = connect(port, "127.0.0.1");
      let slowClosed = false;
      slow.on("close", () => slowClosed = true);
      slow.on("error", () => slow.destroy());
      slow.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      const drip = setInterval(() => slow.writable && slow.write("X-Drip: 1\r\n"), 500);
      await until(() => slowClosed, "the slow client to be cut off").finally(() =>
        clearInterval(drip)
      );
      assert.ok(await answers());
      let opened = 0;
      for (let i = 0; i < 1000; i++) {
        const socket = connect(port, "127.0.0.1");
        socket.on("connect", () => opened++);
        socket.on("error", () => socket.destroy());
        idle.push(socket);
      }
      await until(() => opened === 1000, () => `1,000 connections; ${opened} opened`);
      assert.ok(await answers(), "it answers while 1,000 connections are open");
    } finally {
      for (const socket of idle) socket.destroy();
      await serve.stop();
    }
  },
);

t("serve on a unix socket answers there, and only its owner may connect (mode 0600)", async (c) => {
  assert.equal(c.cli(["start", "--name", "web", "--", "sleep", "300"]).code, 0);
  const path = join(c.work, "serve.sock");
  const command = cliCommand(["serve", "--socket", path]);
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, DAEMONIZE_HOME: c.home, TEST_TAG: c.tag },
    stdio: "ignore",
  });
  try {
    await until(() => existsSync(path), "the socket");
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const body = await new Promise<string>((resolve, reject) => {
      request({ socketPath: path, path: "/api/daemons/web" }, (response) => {
        let text = "";
        response.on("data", (d) => text += d);
        response.on("end", () => resolve(text));
      }).on("error", reject).end();
    });
    assert.equal(JSON.parse(body).name, "web");
  } finally {
    process.kill(child.pid!, "SIGTERM");
    await until(() => !alive(child.pid!), "serve to end on SIGTERM");
  }
});

/** Where Debian's packages put the real tools these tests drive. */
const PROMETHEUS = "/usr/bin/prometheus";
const PROMTOOL = "/usr/bin/promtool";
const CHROMIUM = "/usr/bin/chromium";

t(
  "A real Prometheus scrapes serve, and its query API gives daemonize_up 1 for a running daemon",
  async (c) => {
    if (!existsSync(PROMETHEUS) || !existsSync(PROMTOOL)) {
      console.log(`skipped: ${PROMETHEUS} and ${PROMTOOL} are needed (apt-get install prometheus)`);
      return;
    }
    assert.equal(c.cli(["start", "--name", "web", "--", "sleep", "300"]).code, 0);
    assert.equal(c.cli(["start", "--name", "idle", "--", "sleep", "300"]).code, 0);
    assert.equal(c.cli(["stop", "idle"]).code, 0);
    const serve = await startServe(c);
    let prometheus: ChildProcess | undefined;
    try {
      const exposition = await (await fetch(`${serve.url}/metrics`)).text();
      const checked = run([PROMTOOL, "check", "metrics"], { input: exposition });
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);
      const port = await freePort();
      const config = join(c.work, "prometheus.yml");
      writeFileSync(
        config,
        `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n` +
          `  - job_name: daemonize\n    static_configs:\n      - targets: ["${
            new URL(serve.url).host
          }"]\n`,
      );
      prometheus = spawn(PROMETHEUS, [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(c.work, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ], { env: { ...process.env, TEST_TAG: c.tag }, stdio: "ignore" });
      const query = `http://127.0.0.1:${port}/api/v1/query?query=${
        encodeURIComponent("daemonize_up")
      }`;
      let series: { metric: Record<string, string>; value: [number, string] }[] = [];
      const scraped = () => series.some((s) => s.metric.name === "web");
      let asking = true;
      const asked = (async () => {
        while (asking && !scraped()) {
          try {
            series = (await (await fetch(query)).json()).data.result;
          } catch {
            // Not up yet.
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      try {
        await until(
          scraped,
          () => `Prometheus to scrape daemonize_up; it has ${JSON.stringify(series)}`,
          60_000,
        );
      } finally {
        asking = false;
        await asked;
      }
      const web = series.find((s) => s.metric.name === "web")!;
      assert.equal(web.value[1], "1");
      assert.equal(web.metric.job, "daemonize");
      assert.equal(series.find((s) => s.metric.name === "idle")?.value[1], "0");
    } finally {
      if (prometheus?.pid) process.kill(prometheus.pid, "SIGKILL");
      await serve.stop();
    }
  },
  90_000,
);

t(
  "The status page in a real browser shows a started daemon without a reload, its stop, and its log",
  async (c) => {
    if (!existsSync(CHROMIUM)) {
      console.log(`skipped: ${CHROMIUM} is needed (apt-get install chromium)`);
      return;
    }
    const { chromium } = await import("playwright-core");
    const busy = 'while true; do echo "GET /orders 200 $(date +%T)"; ' +
      "head -c 400000 /dev/urandom | md5sum >/dev/null; sleep 0.4; done";
    assert.equal(c.cli(["start", "--name", "api", "--", "sh", "-c", busy]).code, 0);
    assert.equal(c.cli(["start", "--name", "nightly", "--", "sleep", "300"]).code, 0);
    assert.equal(c.cli(["stop", "nightly"]).code, 0);
    const serve = await startServe(c);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 560 } });
      await page.goto(`${serve.url}/`);
      assert.equal(await page.textContent('tr[data-name="api"] td.state'), "running");
      // Marked: a reload would lose the mark.
      await page.evaluate(() => (globalThis as { unreloaded?: boolean }).unreloaded = true);
      const worker = "echo worker ready; exec sleep 300";
      assert.equal(c.cli(["start", "--name", "worker", "--", "sh", "-c", worker]).code, 0);
      await page.waitForSelector('tr[data-name="worker"] td.state-running', { timeout: 30_000 });
      assert.equal(c.cli(["stop", "worker"]).code, 0);
      await page.waitForSelector('tr[data-name="worker"] td.state-stopped', { timeout: 30_000 });
      await page.click('tr[data-name="worker"]');
      await page.locator("#log-lines", { hasText: "worker ready" }).waitFor({ timeout: 30_000 });
      assert.equal(
        await page.evaluate(() => (globalThis as { unreloaded?: boolean }).unreloaded),
        true,
      );
      // The api's log, followed, and its chart once it has a few points: the picture.
      await page.click('tr[data-name="api"]');
      await page.locator("#log-lines", { hasText: "GET /orders" }).waitFor({ timeout: 30_000 });
      const charted = `(document.querySelector('tr[data-name="api"] polyline.cpu')` +
        `?.getAttribute("points") ?? "").split(" ").length >= 4`;
      await page.waitForFunction(charted, undefined, { timeout: 60_000 });
      // The README's picture is made here: SCREENSHOT=docs/status-page.png
      // keeps it; otherwise it goes to the test's folder, checked and left.
      const shot = process.env.SCREENSHOT
        ? join(root, process.env.SCREENSHOT)
        : join(c.work, "status-page.png");
      await page.screenshot({ path: shot });
      assert.deepEqual([...readFileSync(shot).subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
    } finally {
      await browser.close();
      await serve.stop();
    }
  },
  120_000,
);
