/**
 * The page hand-back of a long-lived process: it finds this runtime's own
 * executable mappings and the kernel takes the advice.
 */
import assert from "node:assert/strict";
import { readFileSync, readlinkSync } from "node:fs";
import { releaseExecutablePages } from "../src/daemon/memory.ts";
import { test } from "./harness.ts";

test("releaseExecutablePages hands back each read-only and code mapping of the executable", () => {
  const path = readlinkSync("/proc/self/exe");
  const exe = readFileSync("/proc/self/maps", "utf8").split("\n").filter((line) => {
    const fields = line.split(/\s+/);
    return /^r-[-x]p$/.test(fields[1] ?? "") && fields[5] === path;
  });
  assert.ok(exe.length > 0, "the runtime's executable is mapped");
  assert.equal(releaseExecutablePages(), exe.length);
});
