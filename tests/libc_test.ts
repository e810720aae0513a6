/**
 * The C library is found by name: glibc's, else musl's (Alpine), and the
 * one that opened is kept for every later symbol.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import type { FfiBackend } from "../ffi/backend.ts";
import { bunBackend } from "../ffi/bun.ts";
import { denoBackend } from "../ffi/deno.ts";
import { getLibc, Libc } from "../ffi/libc.ts";
import { platformConstants } from "../ffi/platform.ts";
import { test } from "./harness.ts";

test("without glibc's libc.so.6, musl's C library is opened, and kept", () => {
  const real = "Deno" in globalThis ? denoBackend : bunBackend;
  const tried: string[] = [];
  // A system where only musl's name opens (backed by this system's libc).
  const musl: FfiBackend = {
    ...real,
    open(library, symbols) {
      tried.push(library);
      if (library !== "libc.musl-x86_64.so.1") throw new Error(`${library}: no such file`);
      return real.open("libc.so.6", symbols);
    },
  };
  const libc = new Libc(musl, platformConstants("linux")!);
  assert.equal(typeof libc.isTerminal(0), "boolean");
  // errno's location is bound first (musl's, after glibc's refused), then isatty from musl's.
  assert.deepEqual(tried, ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-x86_64.so.1"]);
  // umask is another symbol: bound from musl's library straight away, once.
  libc.umask(libc.umask(0o022));
  assert.deepEqual(tried.slice(3), ["libc.musl-x86_64.so.1"]);
  // No C library at all: the first refusal is the error.
  const none = new Libc({
    ...real,
    open: (library) => {
      throw new Error(`${library}: no such file`);
    },
  }, platformConstants("linux")!);
  assert.throws(() => none.isTerminal(0), /^Error: libc\.so\.6: no such file$/);
});

test("readProcText reads a /proc file of many pages whole, not its first page", async () => {
  // 48 listening sockets: /proc/net/tcp grows past a page (150 bytes a line).
  const servers: Server[] = [];
  try {
    for (let i = 0; i < 48; i++) {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      servers.push(server);
    }
    const text = getLibc().readProcText("/proc/net/tcp");
    assert.ok(text.length > 4096, `${text.length} bytes: more than a page`);
    assert.ok(text.endsWith("\n"));
    for (const server of servers) {
      const port = (server.address() as { port: number }).port;
      const hex = port.toString(16).toUpperCase().padStart(4, "0");
      assert.ok(text.includes(`0100007F:${hex} 00000000:0000 0A`), `port ${port} listed`);
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
});
