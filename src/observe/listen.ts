/**
 * Where `serve` listens: a TCP address and port, or a unix socket (made
 * anew when one is left by a server that is gone, readable by its owner
 * only).
 *
 * @module
 */
import type { Server } from "node:http";
import type * as Fs from "node:fs";
import type * as Net from "node:net";
import type { ServeCommand } from "./serve_parse.ts";
import { getLibc } from "../../ffi/libc.ts";

// Loaded by `serve` only: a bundle hoists static imports to every command's start.
let fs: typeof Fs;
let net: typeof Net;

/** Starts `server` listening; where (`http://127.0.0.1:9321`, a path), or `error:WHY`. */
export async function listenOn(server: Server, parsed: ServeCommand): Promise<string> {
  fs ??= await import("node:fs");
  net ??= await import("node:net");
  if (parsed.socket !== undefined) {
    const path = parsed.socket;
    const left = await leftSocket(path);
    if (left !== undefined) return `error:${left}`;
    // Made with mode 0600 from the start: no moment when others may connect.
    const mask = getLibc().umask(0o177);
    let error: string | undefined;
    try {
      error = await listening(server, () => server.listen(path));
    } finally {
      getLibc().umask(mask);
    }
    if (error) return `error:cannot listen on ${path}: ${error}`;
    fs.chmodSync(path, 0o600);
    return path;
  }
  const { host, port } = parsed.listen!;
  const error = await listening(server, () => server.listen(port, host));
  const shown = host.includes(":") ? `[${host}]` : host;
  if (error) return `error:cannot listen on ${shown}:${port}: ${error}`;
  return `http://${shown}:${port}`;
}

/** Runs `listen` and waits until `server` listens (undefined) or fails (why). */
function listening(server: Server, listen: () => void): Promise<string | undefined> {
  return new Promise((resolve) => {
    const failed = (error: Error & { code?: string }) => resolve(error.code ?? error.message);
    server.once("error", failed);
    server.once("listening", () => {
      server.off("error", failed);
      resolve(undefined);
    });
    listen();
  });
}

/**
 * Why `path` can't be listened on, or undefined once it is free: a socket
 * nothing answers on is removed; anything else is left alone.
 */
async function leftSocket(path: string): Promise<string | undefined> {
  let stat: Fs.Stats;
  try {
    stat = fs.lstatSync(path);
  } catch {
    return undefined;
  }
  if (!stat.isSocket()) return `${path} exists and is not a socket`;
  const answered = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (answered) return `${path}: another server listens on it`;
  fs.unlinkSync(path);
  return undefined;
}
