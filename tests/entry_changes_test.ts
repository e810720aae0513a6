/**
 * How an entry of a file of daemons differs from its daemon's last start
 * (what `up` restarts for and names), and the command lines of the
 * commands that act on a set of daemons.
 */
import assert from "node:assert/strict";
import { describeChanges, entryChanges } from "../src/cli/entry_changes.ts";
import { parseArgs } from "../src/cli/parse.ts";
import { test } from "./harness.ts";

/** The start an entry stands for, as the file makes it: `--flag=value` words. */
function entry(options: string[], program = ["sleep", "300"]): { args: string[] } {
  return { args: ["start", "--name=web", ...options, "--", ...program] };
}

/** The same start as saved by `up`: `--env` values kept in its environment. */
function savedOf(options: string[], env: string[] = [], program = ["sleep", "300"]) {
  return {
    args: ["start", "--name=web", ...options, "--", ...program],
    env: ["PATH=/usr/bin", "HOME=/root", ...env],
  };
}

const said = (now: { args: string[] }, last: { args: string[]; env?: string[] }) =>
  describeChanges(entryChanges(now, last));

test("an entry as it was started has no change, whatever the form of its words", () => {
  assert.deepEqual(
    entryChanges(
      entry(["--ready-port=8080", "--env=API_KEY=s3cret", "--restart=always"]),
      savedOf(["--restart", "always", "--env=API_KEY", "--ready-port", "8080"], [
        "API_KEY=s3cret",
      ]),
    ),
    [],
  );
});

test("a changed value is named by the file's key, from and to", () => {
  assert.equal(
    said(entry(["--ready-port=8081"]), savedOf(["--ready-port=8080"])),
    "readyPort 8080 → 8081",
  );
});

test("options added and removed, switches and the command are each named", () => {
  assert.equal(
    said(
      entry(["--restart=always", "--notify"], ["sleep", "400"]),
      savedOf(["--log=/tmp/web.log"]),
    ),
    "log removed (was /tmp/web.log), notify added, restart added (always), command sleep 300 → sleep 400",
  );
  assert.equal(said(entry([]), savedOf(["--notify"])), "notify removed");
});

test("an env change names the variable and never its value", () => {
  const text = said(
    entry(["--env=API_KEY=new-s3cret", "--env=ADDED=a-value"]),
    savedOf(["--env=API_KEY", "--env=GONE"], ["API_KEY=old-s3cret", "GONE=gone-value"]),
  );
  assert.equal(text, "env ADDED added, env API_KEY changed, env GONE removed");
  for (const value of ["new-s3cret", "a-value", "old-s3cret", "gone-value"]) {
    assert.ok(!text.includes(value), value);
  }
});

test("an env value given in the saved arguments themselves is compared too", () => {
  assert.deepEqual(
    entryChanges(entry(["--env=A=1"]), savedOf(["--env", "A=1"])),
    [],
  );
  assert.equal(said(entry(["--env=A=2"]), savedOf(["--env=A=1"])), "env A changed");
});

test("a start saved without its environment counts its env values as changed", () => {
  assert.equal(
    said(entry(["--env=A=1"]), { args: savedOf(["--env=A"]).args }),
    "env A changed",
  );
});

test("a saved start this version can't read is one change, said so", () => {
  assert.equal(
    said(entry([]), { args: ["start", "--no-such-option", "--", "sleep", "300"] }),
    "its saved start can't be compared",
  );
  assert.equal(
    said(entry([]), { args: ["run", "--", "sleep"] }),
    "its saved start can't be compared",
  );
});

test("a long value is cut short in the message", () => {
  const long = "x".repeat(100);
  const text = said(entry([`--ready-log=${long}`]), savedOf([]));
  assert.ok(text.length < 60, text);
  assert.match(text, /^readyLog added \(x+…\)$/);
});

test("stop, restart, reload, status and logs take several names, a file or --all", () => {
  const of = (args: string[]) => parseArgs(args) as unknown as Record<string, unknown>;
  assert.deepEqual(of(["stop", "a", "b"]).targets, [{ name: "a" }, { name: "b" }]);
  assert.equal(of(["restart", "-f", "d.json"]).file, "d.json");
  assert.deepEqual(of(["restart", "--file=d.json", "a"]).targets, [{ name: "a" }]);
  assert.equal(of(["status", "--all"]).all, true);
  assert.deepEqual(of(["reload", "a", "b"]).targets, [{ name: "a" }, { name: "b" }]);
  const logs = of(["logs", "--file", "d.json", "-f"]);
  assert.equal(logs.file, "d.json");
  assert.equal(logs.follow, true, "logs -f still follows");
  assert.deepEqual(of(["status"]).targets, []);
  assert.equal(of(["logs"]).all, true, "logs of no name: every known daemon");
  assert.equal(of(["logs", "-n", "3"]).all, true);
  assert.equal(of(["logs", "a"]).all, false);
  assert.equal(of(["up", "--no-restart"]).noRestart, true);
  assert.equal(of(["up"]).noRestart, false);
});

test("a set given two ways, or forget of several, is one usage error", () => {
  const refused = (args: string[], message: RegExp) =>
    assert.throws(() => parseArgs(args), message, args.join(" "));
  refused(["stop", "--all", "a"], /--all takes no NAME and no --file/);
  refused(["restart", "--all", "-f", "d.json"], /--all takes no NAME and no --file/);
  refused(["stop", "--pid-file", "p", "a"], /give a NAME or --pid-file, not both/);
  refused(["reload"], /missing NAME or --pid-file, -f FILE or --all/);
  refused(["forget", "a", "b"], /unexpected argument "b"/);
  refused(["forget", "--all"], /unknown option --all/);
  refused(["down", "--no-restart"], /unknown option --no-restart/);
});
