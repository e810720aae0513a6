/**
 * The smallest useful daemon: writes a timestamped line every second to its
 * log until it is stopped.
 *
 *   deno run -A examples/hello.ts     # or: bun examples/hello.ts
 *   kill $(cat /tmp/daemonize-hello/hello.pid)
 */
import { mkdirSync } from "node:fs";
import { daemonize } from "../mod.ts";

const dir = "/tmp/daemonize-hello";
mkdirSync(dir, { recursive: true });

const daemon = await daemonize({
  pidFile: `${dir}/hello.pid`,
  stdout: `${dir}/hello.log`,
  stderr: `${dir}/hello.log`,
});

const say = (text: string) =>
  console.log(`${new Date().toISOString()} ${text}`);
say(`hello daemon started as pid ${daemon.pid}`);
const timer = setInterval(() => say("still here"), 1000);
daemon.onStop(() => {
  clearInterval(timer);
  say("stopping");
});
