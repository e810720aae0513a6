/**
 * What keeps `serve` safe: where a token is needed, how it is checked, and
 * bounds on connections so that no client (slow, idle or hostile) can use
 * it up.
 *
 * @module
 */
import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";

/** The most connections kept open at once; past it the oldest idle one is closed. */
export const MAX_CONNECTIONS = 256;
/** The most header bytes a request may have. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** A connection must send a whole request head within this (ms): slowloris. */
export const HEAD_TIMEOUT = 10_000;
/** A connection with nothing going on is closed after this (ms). */
export const IDLE_TIMEOUT = 30_000;

/** Whether `host` is a loopback address (only this machine reaches it). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host) ||
    /^::ffff:127\./i.test(host);
}

/** Whether `request` carries `Authorization: Bearer TOKEN` with this token. */
export function hasToken(request: IncomingMessage, token: string): boolean {
  const given = request.headers.authorization;
  if (typeof given !== "string" || !given.startsWith("Bearer ")) return false;
  return sameText(given.slice(7).trim(), token);
}

/** `a === b`, in a time that does not tell how much of them matched. */
function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < y.length; i++) diff |= (x[i] ?? 0) ^ y[i]!;
  return diff === 0;
}

/**
 * Bounds the connections of `server`: each must send its first request
 * within {@link HEAD_TIMEOUT}, idle ones close after {@link IDLE_TIMEOUT},
 * and past {@link MAX_CONNECTIONS} the oldest one without a request under
 * way is closed, so a new client is always answered. A connection that
 * streams events is busy: `streaming` says which.
 */
export function boundConnections(server: Server, streaming: () => ReadonlySet<Socket>): void {
  const open = new Set<Socket>();
  const answering = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    const head = setTimeout(() => {
      if (!answering.has(socket)) socket.destroy();
    }, HEAD_TIMEOUT);
    socket.setTimeout(IDLE_TIMEOUT, () => {
      if (!streaming().has(socket)) socket.destroy();
    });
    socket.on("close", () => {
      clearTimeout(head);
      open.delete(socket);
      answering.delete(socket);
    });
    socket.on("error", () => socket.destroy());
    if (open.size > MAX_CONNECTIONS) {
      const busy = streaming();
      for (const other of open) {
        if (other !== socket && !answering.has(other) && !busy.has(other)) {
          other.destroy();
          open.delete(other);
          break;
        }
      }
    }
  });
  server.on("request", (request: IncomingMessage, response) => {
    const socket = request.socket;
    answering.add(socket);
    response.on("close", () => answering.delete(socket));
  });
  server.on("clientError", (_error: Error, socket: Socket) => {
    try {
      const body = JSON.stringify({ error: "bad request" });
      socket.end(
        "HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: application/json\r\n" +
          `content-length: ${body.length}\r\n\r\n${body}`,
      );
    } catch {
      socket.destroy();
    }
  });
}

/**
 * Whether a request naming `host` (its Host header) may be answered by a
 * server on a loopback address: only loopback names, so that a web page
 * of another site can't reach it through a name of its own (DNS rebinding).
 */
export function loopbackHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.split(":")[0]!;
  return isLoopback(name.toLowerCase());
}
