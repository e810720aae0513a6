/**
 * What `serve` answers to each request: the guard first (host, token),
 * then the route by method and path. Every bad request gets a 4xx JSON
 * error; nothing changes on a GET.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { StatusReport } from "./status_report.ts";
import { validName } from "../cli/state.ts";
import { ACTIONS, runAction } from "./serve_control.ts";
import { openStream } from "./event_stream.ts";
import { hasToken, loopbackHost } from "./guard.ts";
import type { History, Point } from "./history.ts";
import { everyReport, logPathOf, reportNamed } from "./serve_known.ts";
import { followLog, lastLines, MAX_LINES } from "./log_tail.ts";
import { renderPage } from "./page.ts";
import { exposition, EXPOSITION_CONTENT_TYPE } from "./prometheus.ts";
import { fail, json, text } from "./reply.ts";
import type { Sampler } from "./sampler.ts";

/** One sample of every daemon, as the event stream sends it. */
export interface Snapshot {
  /** When (ms since the epoch). */
  readonly at: number;
  readonly daemons: readonly StatusReport[];
  /** Each daemon's point of this sample, by name. */
  readonly points: Readonly<Record<string, Point>>;
}

/** What the routes share. */
export interface Served {
  readonly history: History;
  readonly sampler: Sampler;
  /** Called with each sample while an event stream is open. */
  readonly listeners: Set<(snapshot: Snapshot) => void>;
  /** The latest sample. */
  latest(): Promise<Snapshot>;
  /** The bearer token, when there is one. */
  readonly token: string | undefined;
  /** Reads need the token too (a non-loopback address). */
  readonly readsNeedToken: boolean;
  /** Only loopback host names are answered (a loopback address). */
  readonly loopbackOnly: boolean;
  /** Control requests are taken. */
  readonly control: boolean;
}

const DEFAULT_LINES = 100;

/** Answers `request`. */
export async function route(
  served: Served,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const method = request.method ?? "";
  let url: URL;
  try {
    url = new URL(request.url ?? "", "http://serve.invalid");
  } catch {
    return fail(response, 400, "a request target that is not a path");
  }
  if (served.loopbackOnly && !loopbackHost(request.headers.host)) {
    return fail(response, 403, "this server answers loopback host names only");
  }
  const authorized = served.token !== undefined && hasToken(request, served.token);
  if (served.readsNeedToken && !authorized) {
    return fail(response, 401, tokenRefusal(request), {
      "www-authenticate": "Bearer",
    });
  }
  const parts = url.pathname.split("/").slice(1);
  const reading = method === "GET" || method === "HEAD";
  // /api/daemons/NAME/ACTION: the only route that takes POST.
  if (
    parts.length === 4 && parts[0] === "api" && parts[1] === "daemons" &&
    ACTIONS.includes(parts[3]!)
  ) {
    if (method !== "POST") return fail(response, 405, "use POST", { allow: "POST" });
    return await control(served, request, response, decodeName(parts[2]!), parts[3]!);
  }
  if (!reading) {
    return fail(response, 405, `${method} is not taken here: use GET`, { allow: "GET, HEAD" });
  }
  const path = url.pathname;
  if (path === "/") {
    const snapshot = await served.latest();
    return text(
      response,
      "text/html; charset=utf-8",
      renderPage(snapshot.daemons, served.history.all(), snapshot.points),
    );
  }
  if (path === "/metrics") {
    return text(response, EXPOSITION_CONTENT_TYPE, exposition(await everyReport(false)));
  }
  if (path === "/api/daemons") return json(response, 200, await everyReport(true));
  if (path === "/api/events") return await events(served, request, response);
  if (parts[0] === "api" && parts[1] === "daemons" && parts.length >= 3 && parts.length <= 4) {
    const name = decodeName(parts[2]!);
    if (name === undefined) return fail(response, 400, "not a daemon's name");
    const report = await reportNamed(name, parts.length === 3);
    if (!report) return fail(response, 404, `no daemon named ${JSON.stringify(name)}`);
    if (parts.length === 3) return json(response, 200, report);
    if (parts[3] === "history") return json(response, 200, served.history.of(name));
    if (parts[3] === "logs") return logs(request, response, url, name);
  }
  return fail(response, 404, `nothing at ${url.pathname.slice(0, 200)}`);
}

/** A path segment as a daemon's name, or undefined when it can't be one. */
function decodeName(segment: string): string | undefined {
  try {
    const name = decodeURIComponent(segment);
    return validName(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

/** `GET /api/daemons/NAME/logs?lines=N[&follow=1]`. */
function logs(request: IncomingMessage, response: ServerResponse, url: URL, name: string): void {
  const given = url.searchParams.get("lines");
  const count = given === null ? DEFAULT_LINES : Number(given);
  if (!/^[0-9]+$/.test(given ?? "0") || count > MAX_LINES) {
    return fail(response, 400, `lines must be a whole number 0-${MAX_LINES}`);
  }
  const follow = ["1", "true", ""].includes(url.searchParams.get("follow") ?? "-") ||
    (request.headers.accept ?? "").includes("text/event-stream");
  const path = logPathOf(name);
  const lines = lastLines(path, count);
  if (!follow) {
    if (lines === undefined) return fail(response, 404, `${name} has no log at ${path}`);
    return json(response, 200, { name, path, lines });
  }
  const stream = openStream(request, response);
  if (!stream) return;
  stream.send("lines", lines ?? []);
  stream.onClose(followLog(path, (more) => stream.send("lines", more)));
}

/** `GET /api/events`: every sample of every daemon, from now on, with the history first. */
async function events(
  served: Served,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const stream = openStream(request, response);
  if (!stream) return;
  const unwatch = served.sampler.watch();
  stream.send("history", served.history.all());
  stream.send("daemons", await served.latest());
  const listener = (snapshot: Snapshot) => stream.send("daemons", snapshot);
  served.listeners.add(listener);
  stream.onClose(() => {
    served.listeners.delete(listener);
    unwatch();
  });
}

/** `POST /api/daemons/NAME/ACTION`: with `--control` and the token only. */
async function control(
  served: Served,
  request: IncomingMessage,
  response: ServerResponse,
  name: string | undefined,
  action: string,
): Promise<void> {
  request.resume();
  if (!served.control) {
    return fail(response, 403, "control is off: serve takes it with --control --token-file F");
  }
  if (served.token === undefined || !hasToken(request, served.token)) {
    return fail(response, 401, tokenRefusal(request), {
      "www-authenticate": "Bearer",
    });
  }
  if (name === undefined) return fail(response, 400, "not a daemon's name");
  if (!await reportNamed(name, false)) {
    return fail(response, 404, `no daemon named ${JSON.stringify(name)}`);
  }
  const status = await runAction(action, name);
  json(response, status === 0 ? 200 : 500, {
    name,
    action,
    status,
    daemon: await reportNamed(name, false) ?? null,
  });
}

/** Why a request without the right token is refused: none was sent, or another. */
function tokenRefusal(request: IncomingMessage): string {
  return request.headers.authorization === undefined
    ? "a bearer token is needed (Authorization: Bearer TOKEN)"
    : "the bearer token is not this server's";
}
