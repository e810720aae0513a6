/**
 * What the tests of `serve` share: a server started by pid on a free
 * loopback port (and stopped by pid), and a reader of Server-Sent Events.
 */
import { spawn } from "node:child_process";
import { connect } from "node:net";
import process from "node:process";
import { alive, cliCommand, type Ctx, freePort, root, until } from "./harness.ts";

/** A running `serve`. */
export interface Serving {
  readonly pid: number;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** What it printed so far. */
  output(): string;
  /** Ends it (SIGTERM, then SIGKILL) and waits until it is gone. */
  stop(): Promise<void>;
}

/** Starts `daemonize serve ARGS... --listen 127.0.0.1:PORT` and waits until it listens. */
export async function startServe(c: Ctx, args: string[] = []): Promise<Serving> {
  const port = await freePort();
  const child = spawn(
    cliCommand(["serve", "--listen", `127.0.0.1:${port}`, ...args])[0]!,
    cliCommand(["serve", "--listen", `127.0.0.1:${port}`, ...args]).slice(1),
    {
      cwd: root,
      env: { ...process.env, DAEMONIZE_HOME: c.home, TEST_TAG: c.tag, NO_COLOR: "" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout!.on("data", (d) => output += d);
  child.stderr!.on("data", (d) => output += d);
  const pid = child.pid!;
  const serving: Serving = {
    pid,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        return;
      }
      const gone = await until(() => !alive(pid), "serve to end on SIGTERM", 5000).then(
        () => true,
        () => false,
      );
      if (!gone) process.kill(pid, "SIGKILL");
      await until(() => !alive(pid), "serve to end");
    },
  };
  try {
    await until(
      () => output.includes("listening on") || !alive(pid),
      () => `serve to listen; it printed: ${output}`,
    );
    if (!output.includes("listening on")) throw new Error(`serve did not start: ${output}`);
  } catch (error) {
    await serving.stop();
    throw error;
  }
  return serving;
}

/** One Server-Sent Event. */
export interface SentEvent {
  readonly event: string;
  readonly data: unknown;
}

/** The events of a stream, as they come. */
export interface EventReader {
  readonly events: SentEvent[];
  close(): void;
}

/** Opens `url` as an event stream and collects its events until closed. */
export async function readEvents(
  url: string,
  headers: Record<string, string> = {},
): Promise<EventReader> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  if (response.status !== 200 || !response.body) {
    throw new Error(`${url}: ${response.status} ${await response.text()}`);
  }
  const events: SentEvent[] = [];
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  (async () => {
    let buffer = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) {
            events.push({ event, data: JSON.parse(data) });
          }
        }
      }
    } catch {
      // Closed.
    }
  })();
  return { events, close: () => abort.abort() };
}

/** A report without what changes from one look to the next. */
export function steady(report: Record<string, unknown>): Record<string, unknown> {
  const {
    uptimeSeconds: _u,
    rssBytes: _r,
    supervisorRssBytes: _s,
    cpuPercent: _c,
    cpuWindowSeconds: _w,
    cpuSeconds: _cs,
    logBytes: _l,
    ...rest
  } = report;
  return { keys: Object.keys(report).sort().join(","), ...rest };
}

/** Sends `bytes` on a new connection to `port`; what came back before it closed. */
export function exchange(port: number, bytes: string | Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const socket = connect(port, "127.0.0.1");
    socket.on("data", (d) => got += d);
    socket.on("error", () => socket.destroy());
    socket.on("close", () => resolve(got));
    socket.write(bytes);
  });
}
