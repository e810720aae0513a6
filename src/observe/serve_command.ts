/**
 * `daemonize serve`: one process in the foreground answering HTTP on a
 * loopback address (or a unix socket): metrics, the JSON API and the
 * status page, read-only unless `--control`. It runs until SIGINT/SIGTERM.
 *
 * @module
 */
import type { Output } from "../cli/commands.ts";
import { EXIT } from "../cli/exit_codes.ts";
import { onSignal } from "../host.ts";
import { streamSockets } from "./event_stream.ts";
import {
  boundConnections,
  HEAD_TIMEOUT,
  IDLE_TIMEOUT,
  isLoopback,
  MAX_HEADER_BYTES,
} from "./guard.ts";
import { readToken } from "./serve_token.ts";
import { History } from "./history.ts";
import { everyReport } from "./serve_known.ts";
import type { ServeCommand } from "./serve_parse.ts";
import { fail } from "./reply.ts";
import { route, type Served, type Snapshot } from "./serve_routes.ts";
import { Sampler } from "./sampler.ts";
import { listenOn } from "./listen.ts";
import { withoutCollectorTimer } from "./serve_quiet_collector.ts";
import { loadLogReading } from "./log_tail.ts";

/** A sample older than this is taken again for a page (ms). */
const FRESH = 1000;
/** How long after it listens `serve` hands back the pages it needed to start (ms). */
const SETTLE = 3000;

/** Runs `serve` until a signal ends it; its exit status. */
export async function serveCommand(parsed: ServeCommand, io: Output): Promise<number> {
  const token = parsed.tokenFile === undefined ? undefined : await readToken(parsed.tokenFile);
  const loopback = parsed.listen === undefined || isLoopback(parsed.listen.host);
  if (!loopback && token === undefined) {
    io.err(
      `daemonize: serve: ${
        parsed.listen!.host
      } is not a loopback address: give --token-file PATH, or listen on 127.0.0.1\n`,
    );
    return EXIT.usage;
  }
  withoutCollectorTimer();
  await loadLogReading();
  const history = new History();
  const listeners = new Set<(snapshot: Snapshot) => void>();
  let latest: Snapshot | undefined;
  const sample = async (): Promise<Snapshot> => {
    const daemons = await everyReport(false);
    const at = Date.now();
    latest = { at, daemons, points: Object.fromEntries(history.record(daemons, at)) };
    return latest;
  };
  const sampler = new Sampler(async () => {
    const snapshot = await sample();
    for (const listener of listeners) listener(snapshot);
  });
  const served: Served = {
    history,
    sampler,
    listeners,
    latest: async () => latest && Date.now() - latest.at < FRESH ? latest : await sample(),
    token,
    readsNeedToken: !loopback,
    loopbackOnly: parsed.listen !== undefined && loopback,
    control: parsed.control,
  };
  // Loaded here: a bundle hoists static imports to every command's start.
  const http = await import("node:http");
  const server = http.createServer({
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: HEAD_TIMEOUT,
    requestTimeout: HEAD_TIMEOUT * 3,
    keepAliveTimeout: IDLE_TIMEOUT,
  }, (request, response) => {
    route(served, request, response).catch((error) => {
      io.err(`daemonize: serve: ${request.method} ${request.url}: ${String(error)}\n`);
      if (!response.headersSent) fail(response, 500, "the server failed on this request");
      else response.destroy();
    });
  });
  boundConnections(server, () => streamSockets);
  const where = await listenOn(server, parsed);
  if (typeof where === "string" && where.startsWith("error:")) {
    sampler.stop();
    io.err(`daemonize: serve: ${where.slice(6)}\n`);
    return EXIT.failed;
  }
  // Once started, the executable's pages it touched to start go back (see memory.ts).
  const settle = setTimeout(async () => {
    (await import("../daemon/memory.ts")).releaseExecutablePages();
  }, SETTLE);
  io.out(
    `daemonize serve: listening on ${where}${parsed.control ? " (control on)" : " (read-only)"}\n`,
  );
  return await new Promise<number>((resolve) => {
    const end = () => {
      clearTimeout(settle);
      sampler.stop();
      for (const socket of streamSockets) socket.destroy();
      server.close(() => resolve(0));
      server.closeAllConnections?.();
    };
    onSignal("SIGINT", end);
    onSignal("SIGTERM", end);
  });
}
