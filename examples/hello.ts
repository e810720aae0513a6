/**
 * The smallest useful daemon, controlling itself: it writes a timestamped
 * line every second to its log until it is stopped.
 *
 *   deno run -A examples/hello.ts start     # or: bun examples/hello.ts start
 *   deno run -A examples/hello.ts status
 *   deno run -A examples/hello.ts stop
 *
 * Its pid file and log are the named ones of the `daemonize` command
 * (`daemonize status hello` shows it too).
 */
import { control } from "../mod.ts";

const daemon = await control({ name: "hello" });

const say = (text: string) => console.log(`${new Date().toISOString()} ${text}`);
say(`hello daemon started as pid ${daemon.pid}`);
const timer = setInterval(() => say("still here"), 1000);
daemon.onStop(() => {
  clearInterval(timer);
  say("stopping");
});
