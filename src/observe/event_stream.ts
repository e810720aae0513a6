/**
 * Server-Sent Events: a response kept open, written one event at a time,
 * with a comment now and then so that proxies keep it. The open streams
 * are counted and bounded.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** The most event streams open at once; past it a new one is refused (503). */
export const MAX_STREAMS = 64;
/** How often an open stream gets a comment line (ms). */
const KEEP_ALIVE = 25_000;

/** One open stream. */
export interface EventStream {
  /** Sends an event named `event` whose data is `data` as JSON. */
  send(event: string, data: unknown): void;
  /** Called once when the client goes (or the stream is ended). */
  onClose(listener: () => void): void;
}

/** The sockets of the open streams (they are never idle). */
export const streamSockets: Set<Socket> = new Set();

/**
 * Opens an event stream on `response`, or undefined when too many are open
 * (the response is then answered).
 */
export function openStream(
  request: IncomingMessage,
  response: ServerResponse,
): EventStream | undefined {
  if (streamSockets.size >= MAX_STREAMS) {
    response.writeHead(503, { "content-type": "application/json", "retry-after": "10" });
    response.end(JSON.stringify({ error: `too many event streams (${MAX_STREAMS})` }) + "\n");
    return undefined;
  }
  const socket = request.socket;
  streamSockets.add(socket);
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    "x-accel-buffering": "no",
  });
  response.write(": open\n\n");
  const listeners: (() => void)[] = [];
  const keepAlive = setInterval(() => response.write(": keep-alive\n\n"), KEEP_ALIVE);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    streamSockets.delete(socket);
    for (const listener of listeners) listener();
  };
  response.on("close", close);
  request.on("close", close);
  return {
    send(event, data) {
      if (!closed) response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onClose(listener) {
      if (closed) listener();
      else listeners.push(listener);
    },
  };
}
