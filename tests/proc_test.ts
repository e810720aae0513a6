/**
 * The /proc parsers on recorded samples, and the identity record's parser:
 * pure functions, no processes.
 */
import assert from "node:assert/strict";
import { parseIdentity } from "../src/process/identity.ts";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import {
  inSignalMask,
  nulSeparated,
  parseStat,
  parseStatus,
  sessionStats,
} from "../src/process/proc.ts";
import { killTagged, newTag, tagged, test, until } from "./harness.ts";

// Recorded from a python3 process renamed with prctl to "a) b (c": the name
// holds spaces and parentheses, so fields are counted from the last ")".
const STAT =
  "4242 (a) b (c) S 1 4240 4239 0 -1 4194560 1234 0 0 0 3 1 0 0 20 0 1 0 987654 12345678 2345 " +
  "18446744073709551615 1 1 0 0 0 0 0 16781312 2 0 0 0 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

test("parseStat reads pid, name, state, parent, group, session and start time", () => {
  assert.deepEqual(parseStat(STAT), {
    pid: 4242,
    comm: "a) b (c",
    state: "S",
    ppid: 1,
    pgrp: 4240,
    sid: 4239,
    ttyNr: 0,
    tpgid: -1,
    startTicks: 987654,
    cpuTicks: 4,
    childTicks: 0,
  });
});

test("parseStat refuses text that is not a stat line", () => {
  assert.equal(parseStat(""), undefined);
  assert.equal(parseStat("4242 no parentheses"), undefined);
});

// Recorded from `sh -c 'trap "" TERM; trap "echo" HUP; sleep 300'`.
const STATUS = `Name:\tsh
Umask:\t0022
State:\tS (sleeping)
Tgid:\t4242
Pid:\t4242
PPid:\t1
Uid:\t65534\t65534\t65534\t65534
Gid:\t65534\t65534\t65534\t65534
VmRSS:\t    1536 kB
SigQ:\t0/63379
SigPnd:\t0000000000000000
ShdPnd:\t0000000000000000
SigBlk:\t0000000000000000
SigIgn:\t0000000000004000
SigCgt:\t0000000000010001
`;

test("parseStatus reads the caught and ignored signals, RSS and uid", () => {
  const status = parseStatus(STATUS);
  assert.equal(status.rssBytes, 1536 * 1024);
  assert.equal(status.uid, 65534);
  assert.ok(inSignalMask(status.ignored, 15), "SIGTERM ignored");
  assert.ok(inSignalMask(status.caught, 1), "SIGHUP caught");
  assert.ok(inSignalMask(status.caught, 17), "SIGCHLD caught");
  assert.ok(!inSignalMask(status.caught, 10), "SIGUSR1 left at its default");
});

test("parseStatus of a zombie has no RSS and empty masks where fields lack", () => {
  const status = parseStatus("Name:\tx\nState:\tZ (zombie)\n");
  assert.equal(status.rssBytes, undefined);
  assert.equal(status.caught, 0n);
  assert.equal(status.ignored, 0n);
});

test("nulSeparated splits cmdline and environ text without an empty last item", () => {
  assert.deepEqual(nulSeparated("sleep\x00300\x00"), ["sleep", "300"]);
  assert.deepEqual(nulSeparated("A=1\x00B=\x00"), ["A=1", "B="]);
  assert.deepEqual(nulSeparated(""), []);
});

test("parseIdentity keeps only well-formed records, and only their known fields", () => {
  const good = {
    pid: 812,
    start: 99,
    sid: 811,
    sidStart: 98,
    boot: "b72bc03f-e7ce-4a5e-b2f4-130041e5f8c4",
  };
  // A token or an owner restriction in the file is not believed.
  const written = { ...good, onlyOf: 0, token: "0123456789abcdef0123456789abcdef" };
  assert.deepEqual(parseIdentity(JSON.stringify(written)), good);
  assert.deepEqual(parseIdentity(JSON.stringify({ ...good, sid: null, sidStart: null })), {
    ...good,
    sid: null,
    sidStart: null,
  });
  for (
    const bad of [
      "812\n",
      "{",
      "null",
      JSON.stringify({ ...good, pid: -1 }),
      JSON.stringify({ ...good, start: "99" }),
      JSON.stringify({ ...good, sid: 1.5 }),
      JSON.stringify({ ...good, boot: undefined }),
    ]
  ) {
    assert.equal(parseIdentity(bad), undefined, bad);
  }
});

test("sessionStats finds a session's processes, and the one asked for, but no other", async () => {
  const tag = newTag();
  // A leader of a session of its own with a child, and a process left in ours.
  spawn("setsid", ["sh", "-c", "sleep 300 & exec sleep 301"], {
    env: { ...process.env, TEST_TAG: tag },
    stdio: "ignore",
  });
  const ours = spawn("sleep", ["302"], {
    env: { ...process.env, TEST_TAG: tag },
    stdio: "ignore",
  });
  try {
    await until(() => tagged(tag).length === 3, () => `3 tagged processes: ${tagged(tag)}`);
    // setsid(1) forks when it leads a process group already: the session is
    // the one the tagged processes other than ours are in.
    const [sid] = tagged(tag).filter((pid) => pid !== ours.pid).map((pid) =>
      parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"))!.sid
    );
    assert.ok(sid !== undefined && sid !== parseStat(readFileSync("/proc/self/stat", "utf8"))!.sid);
    const pids = (sid: number, also?: number) => sessionStats(sid, also).map((s) => s.pid).sort();
    const members = pids(sid);
    assert.equal(members.length, 2, `session ${sid}: ${members}`);
    assert.ok(members.includes(sid), "its leader");
    assert.ok(!members.includes(ours.pid!));
    assert.ok(sessionStats(sid).every((s) => s.sid === sid));
    assert.deepEqual(pids(sid, ours.pid!), [...members, ours.pid!].sort());
    assert.deepEqual(pids(sid, 2 ** 22 + 1), members, "a pid that does not run is not made up");
  } finally {
    await killTagged(tag);
  }
});
