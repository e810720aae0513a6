/**
 * The build's failure message names the cause, not a progress line: on a
 * recorded `deno compile` failure without network.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { failureReason } from "../scripts/failure_reason.ts";
import { binary, root, test } from "./harness.ts";

const DENO_COMPILE_OFFLINE = `\x1b[0m\x1b[32mCheck\x1b[0m cli.ts
\x1b[0m\x1b[32mCompile\x1b[0m cli.ts to dist/daemonize
\x1b[0m\x1b[32mDownload\x1b[0m https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip
\x1b[0m\x1b[1m\x1b[31merror\x1b[0m: Writing deno compile executable to temporary file 'dist/daemonize.tmp-1'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
    2: client error (Connect)
    3: dns error
    4: failed to lookup address information: Name or service not known

Stack backtrace:
   0: <unknown>
   1: <unknown>
`;

test("a build failure is reported by its cause, not by the tool's progress line", () => {
  assert.equal(
    failureReason(DENO_COMPILE_OFFLINE, undefined),
    "failed to lookup address information: Name or service not known",
  );
  assert.equal(failureReason("error: Module not found\n", undefined), "error: Module not found");
  assert.equal(failureReason("", new Error("spawn ENOENT")), "spawn ENOENT");
});

// Checked with the binary's tests, once the build has run.
if (binary) {
  test("the executables built are for glibc and, when its runtime could be fetched, for musl", () => {
    const glibc = binary!;
    const interpreter = (path: string) => {
      // PT_INTERP of a 64-bit ELF: the program header whose type is 3.
      const bytes = readFileSync(path).subarray(0, 4096);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const phoff = Number(view.getBigUint64(0x20, true));
      const size = view.getUint16(0x36, true);
      for (let i = 0; i < view.getUint16(0x38, true); i++) {
        const at = phoff + i * size;
        if (view.getUint32(at, true) !== 3) continue;
        const offset = Number(view.getBigUint64(at + 8, true));
        const length = Number(view.getBigUint64(at + 32, true));
        return new TextDecoder().decode(bytes.subarray(offset, offset + length - 1));
      }
      return undefined;
    };
    assert.equal(interpreter(glibc), "/lib64/ld-linux-x86-64.so.2");
    const musl = join(root, "dist", "daemonize-musl");
    if (existsSync(musl)) assert.equal(interpreter(musl), "/lib/ld-musl-x86_64.so.1");
  });
}
