/**
 * Generated command lines, from a seeded generator (FUZZ_SEED, printed on a
 * failure, reproduces a run): thousands through the parser, and a bounded
 * number through the real command. Every one ends in a usage error or a
 * result, on one short line, with an exit status of the command's, never a
 * stack trace, nothing left running and nothing written where it was run.
 * FUZZ_LONG=1 tries a hundred times more.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { COMMANDS as COMMAND_TABLE } from "../src/cli/command_table.ts";
import { EXIT } from "../src/cli/exit_codes.ts";
import { parseArgs, UsageError } from "../src/cli/parse.ts";
import { START_OPTIONS } from "../src/cli/start_options.ts";
import { OPTION_NAMES, resolveOptions } from "../src/options.ts";
import {
  cliCommand,
  form,
  killTagged,
  newTag,
  removeDir,
  run,
  tagged,
  tempDir,
  test,
} from "./harness.ts";

const SEED = Number(process.env.FUZZ_SEED) || 20261201;
const LONG = process.env.FUZZ_LONG === "1";

/** mulberry32: a small seeded generator of numbers in [0, 1). */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every word of the command table, and words that are none. */
const COMMANDS = [
  ...COMMAND_TABLE.flatMap((c) => [...c.words, ...c.hidden ?? []]),
  "bogus",
  "",
  "START",
  "stat",
];
const FLAGS = [
  ...START_OPTIONS.map((o) => o.flag),
  "--pid-file",
  "--timeout",
  "--signal",
  "-n",
  "--lines",
  "--json",
  "--prometheus",
  "--file",
  "-f",
  "--follow",
  "-h",
  "--help",
  "--",
  "-",
  "---",
  "--=",
  "-x",
  "--name=",
  "--exec=1",
];
const VALUES = [
  "",
  "0",
  "-1",
  "1e309",
  "NaN",
  "0.5",
  "999999999999999",
  "x".repeat(5000),
  "\u0000",
  "\x1b[31m",
  "\r\n",
  "..",
  "../x",
  "/",
  "a b",
  "a/b",
  "\ud800",
  "é",
  "%s",
  "$(id)",
  "`id`",
  "TERM",
  "SIGKILL",
  "HUP",
  "always",
  "no",
  "10M",
  "1K",
  "077",
  "8",
  "65536",
  "(",
  ".*",
  "A=b",
  "=b",
  "web",
  "web@1",
  ".hidden",
  "sleep",
];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

/** One generated command line. */
function commandLine(random: () => number, values: readonly string[]): string[] {
  const args: string[] = [];
  if (random() < 0.95) args.push(pick(random, COMMANDS));
  const n = Math.floor(random() * 9);
  for (let i = 0; i < n; i++) {
    const r = random();
    if (r < 0.35) args.push(pick(random, FLAGS));
    else if (r < 0.55) args.push(`${pick(random, FLAGS)}=${pick(random, values)}`);
    else args.push(pick(random, values));
  }
  return args;
}

test(`generated command lines through the parser end in a result or a one-line usage error (seed ${SEED})`, () => {
  const random = generator(SEED);
  const runs = LONG ? 300_000 : 5_000;
  let errors = 0;
  for (let i = 0; i < runs; i++) {
    const args = commandLine(random, VALUES);
    try {
      const parsed = parseArgs(args);
      assert.equal(typeof parsed.command, "string");
    } catch (error) {
      const where = `seed ${SEED}, run ${i}: ${JSON.stringify(args).slice(0, 300)}`;
      assert.ok(error instanceof UsageError, `${where}: ${(error as Error).stack}`);
      assert.ok(!error.message.includes("\n"), `${where}: two lines: ${error.message}`);
      assert.ok(error.message.length < 300, `${where}: ${error.message.length} characters`);
      // deno-lint-ignore no-control-regex
      assert.ok(!/[\x00-\x1f\x7f]/.test(error.message), `${where}: control characters`);
      errors++;
    }
  }
  assert.ok(
    errors > runs / 2,
    `${errors} of ${runs} refused: the generator tries bad lines mostly`,
  );
});

test(
  `[${form}] generated command lines through the command: an exit status of its own, a short message, nothing left (seed ${SEED})`,
  async () => {
    const random = generator(SEED + 1);
    const runs = LONG ? 3_000 : 200;
    const home = tempDir();
    const where = tempDir();
    const tag = newTag();
    // Programs that end at once, so that nothing a start makes stays; paths inside the state folder.
    const values = [
      // (no NUL: an argument can't hold one)
      ...VALUES.filter((v) => v !== "sleep" && v.length < 1000 && !v.includes("\0")),
      "true",
      "false",
      join(home, "p.pid"),
      join(home, "x.log"),
    ];
    try {
      for (let i = 0; i < runs; i++) {
        const args = commandLine(random, values)
          .filter((a) => !/^(-f|--follow)$/.test(a) && !a.includes("\0"));
        // serve runs until stopped: its lines end in help, or a usage error, at once.
        if (args[0] === "serve") args.push("--help");
        const ran = run(cliCommand(args), {
          cwd: where,
          env: { DAEMONIZE_HOME: home, TEST_TAG: tag, NO_COLOR: "1" },
          timeout: 20_000,
        });
        const said = `seed ${SEED + 1}, run ${i}: ${
          JSON.stringify(args)
        } → ${ran.code}: ${ran.stderr}`;
        assert.ok((Object.values(EXIT) as number[]).includes(ran.code ?? -1), said);
        assert.ok(ran.stderr.split("\n").filter(Boolean).length <= 3, said);
        assert.ok(!/^\s+at |Uncaught|panicked|stack backtrace/im.test(ran.stderr), said);
        assert.deepEqual(readdirSync(where), [], `${said}: wrote where it was run`);
        await killTagged(tag);
      }
      assert.deepEqual(tagged(tag), []);
    } finally {
      await killTagged(tag);
      removeDir(home);
      removeDir(where);
    }
  },
  600_000,
);

test(`wrong option types and values to the library are TypeErrors or RangeErrors naming the option, before anything starts (seed ${SEED})`, async () => {
  const { detach, isOptionError, status, stop } = await import("../mod.ts");
  const random = generator(SEED + 2);
  const keys = OPTION_NAMES;
  const wrong: unknown[] = [
    -1,
    0.5,
    1e9,
    NaN,
    Infinity,
    "",
    "\0",
    "x",
    true,
    null,
    {},
    [],
    [-1],
    () => 0,
    Symbol("s"),
    { SIGNOPE: "ignore" },
    { SIGTERM: 5 },
    { SIGKILL: "ignore" },
    10n,
  ];
  // This process's children: none may appear.
  const children = () =>
    readdirSync(`/proc/${process.pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${process.pid}/task/${task}/children`, "utf8").split(" ").filter(Boolean)
    );
  const before = children();
  let tried = 0;
  for (let i = 0; i < (LONG ? 20_000 : 1_000); i++) {
    const key = pick(random, keys);
    const value = pick(random, wrong);
    const options = { [key]: value } as Record<string, unknown>;
    let error: unknown;
    try {
      // A value that happens to be right for the option (true for a flag) is skipped.
      resolveOptions(options);
      continue;
    } catch (e) {
      error = e;
    }
    const where = `seed ${SEED + 2}, run ${i}: ${key} = ${String(value)}`;
    assert.ok(isOptionError(error), `${where}: ${error}`);
    assert.match((error as Error).message, new RegExp(`\\b${key}\\b`), where);
    await assert.rejects(detach(options as never), (e) => isOptionError(e), where);
    tried++;
  }
  assert.ok(tried > 500 || LONG, `${tried} wrong options tried`);
  // Unknown options, and options that are no object.
  for (const options of [{ pidfile: "/x" }, 5, "x"]) {
    await assert.rejects(
      detach(options as never),
      (e) => e instanceof TypeError && isOptionError(e),
    );
  }
  for (const pidFile of [5, "", null, {}, "\0"]) {
    assert.throws(
      () => status(pidFile as never),
      (e) => e instanceof TypeError && /pidFile/.test(String(e)),
    );
    await assert.rejects(
      stop(pidFile as never),
      (e) => e instanceof TypeError && /pidFile/.test(String(e)),
    );
  }
  await assert.rejects(
    stop("/tmp/none.pid", { timeout: -1 }),
    (e) => e instanceof RangeError && /timeout/.test(String(e)),
  );
  await assert.rejects(
    stop("/tmp/none.pid", { signal: "SIGNOPE" }),
    (e) => e instanceof RangeError && /signal/.test(String(e)),
  );
  await assert.rejects(
    stop("/tmp/none.pid", { signal: 9 as never }),
    (e) => e instanceof TypeError && /signal/.test(String(e)),
  );
  assert.deepEqual(children(), before, "nothing started");
});
