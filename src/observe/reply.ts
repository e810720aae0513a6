/**
 * How `serve` answers: JSON bodies and JSON errors, with the headers every
 * answer carries.
 *
 * @module
 */
import type { ServerResponse } from "node:http";

/** Headers on every answer: nothing cached, nothing sniffed, never framed. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

/** Answers `status` with `body` as JSON. */
export function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + "\n";
  response.writeHead(status, {
    ...COMMON_HEADERS,
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
  });
  response.end(text);
}

/** Answers `status` with `{"error": message}`, and `headers`. */
export function fail(
  response: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  json(response, status, { error: message });
}

/** Answers 200 with `body` of `type`. */
export function text(response: ServerResponse, type: string, body: string): void {
  response.writeHead(200, {
    ...COMMON_HEADERS,
    "content-type": type,
    "content-length": String(Buffer.byteLength(body)),
  });
  response.end(body);
}
