/**
 * The build's failure message names the cause, not a progress line: on a
 * recorded `deno compile` failure without network.
 */
import assert from "node:assert/strict";
import { failureReason } from "../scripts/failure_reason.ts";
import { test } from "./harness.ts";

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
