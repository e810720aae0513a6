/**
 * What the tests share: one `test()` for `deno test` and `bun test`, and
 * helpers that start real processes and look at them through /proc.
 *
 * Under `deno test` the fixtures run under Deno; under `bun test`, under Bun;
 * with $DAEMONIZE_TEST_BINARY set, the command tests run that binary.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The runtime running the tests (and the fixtures). */
export const runtime: "deno" | "bun" = "Deno" in globalThis ? "deno" : "bun";

type Body = () => void | Promise<void>;

interface BunTest {
  test(name: string, fn: Body, timeout?: number): void;
}

/** Registers a test under either runner; `timeout` is in ms. */
export function test(name: string, fn: Body, timeout = 60_000): void {
  if (runtime === "deno") {
    Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false });
  } else {
    const bunTest = (import.meta as unknown as { require(id: string): BunTest })
      .require("bun:test");
    bunTest.test(name, fn, timeout);
  }
}

/** The project's root directory. */
export const root: string = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The path of a fixture program. */
export function fixture(name: string): string {
  return join(root, "tests", "fixtures", name);
}

/** The command that runs `script` with the test runtime (flags first). */
export function runtimeCommand(
  script: string,
  args: string[] = [],
  flags: string[] = [],
): string[] {
  return runtime === "deno"
    ? [Deno.execPath(), "run", "-A", ...flags, script, ...args]
    : [process.execPath, ...flags, script, ...args];
}

/** What a finished command did. */
export interface Ran {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string | undefined;
  timeout?: number;
  input?: string;
}

/** Runs a command to its end (at most `timeout` ms, then SIGKILL). */
export function run(command: string[], options: RunOptions = {}): Ran {
  const result = spawnSync(command[0]!, command.slice(1), {
    env: { ...process.env, ...options.env },
    cwd: options.cwd ?? root,
    timeout: options.timeout ?? 30_000,
    input: options.input ?? "",
    encoding: "utf8",
  });
  return {
    code: result.status,
    signal: result.signal,
    stdout: result.stdout ?? "",
    stderr: result.stderr ?? "",
  };
}

/** Runs a command without waiting; resolves when it ends. */
export function runAsync(
  command: string[],
  options: RunOptions = {},
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), {
      env: { ...process.env, ...options.env },
      cwd: options.cwd ?? root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => stdout += d);
    child.stderr!.on("data", (d) => stderr += d);
    child.on(
      "close",
      (code, signal) => resolve({ code, signal, stdout, stderr }),
    );
  });
}

/** A fresh temporary directory, world-searchable (for dropped privileges). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "daemonize-test-"));
  run(["chmod", "755", dir]);
  return dir;
}

/** Removes a temporary directory. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A string unique to one test, put on command lines to find its processes. */
export function newTag(): string {
  return `--test-tag=${crypto.randomUUID()}`;
}

/**
 * Pids of live (non-zombie) processes whose command line or environment
 * contains `tag` (tests pass it in TEST_TAG, which programs inherit).
 */
export function tagged(tag: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      const marked = cmdline.includes(tag) ||
        environ.includes(`TEST_TAG=${tag}`);
      if (marked && alive(Number(entry))) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** The binary under test, when $DAEMONIZE_TEST_BINARY names one. */
export const binary: string | undefined = process.env.DAEMONIZE_TEST_BINARY ||
  undefined;

/** The form of the command under test, for test names. */
export const form: string = binary ? "binary" : runtime;

/** The `daemonize` command line: the binary, or mod.ts under the runtime. */
export function cliCommand(args: string[]): string[] {
  return binary ? [binary, ...args] : runtimeCommand(join(root, "mod.ts"), args);
}

/** Kills every process carrying `tag` (by pid) and waits for them to die. */
export async function killTagged(tag: string): Promise<void> {
  for (const pid of tagged(tag)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  await waitFor(() => tagged(tag).length === 0, 5000);
}

/** Whether `pid` is a live process (zombies are dead). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(
      stat.lastIndexOf(")") + 2,
      stat.lastIndexOf(")") + 3,
    );
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * Whether `pid` runs with no signal pending. Right after a command returns,
 * a signal it sent has either ended the process (a zombie is dead) or still
 * shows as pending: no wait is needed to know that none was sent.
 */
export function runsUnsignalled(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    const status = procStatus(pid);
    return /^0+$/.test(status.get("SigPnd") ?? "") && /^0+$/.test(status.get("ShdPnd") ?? "");
  } catch {
    return false;
  }
}

/** Fields of /proc/PID/stat after the command name (index 0 = state). */
export function procStat(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** /proc/PID/status (or another status file, by path) as a map. */
export function procStatus(pid: number | string): Map<string, string> {
  const map = new Map<string, string>();
  const path = typeof pid === "number" ? `/proc/${pid}/status` : pid;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) map.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return map;
}

/** Targets of /proc/PID/fd, by descriptor number. */
export function openFiles(pid: number): Map<number, string> {
  const map = new Map<number, string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      map.set(Number(fd), readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // Closed meanwhile.
    }
  }
  return map;
}

/** Whether bit `signal` is set in a /proc signal mask such as SigIgn. */
export function inMask(mask: string, signal: number): boolean {
  return ((BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n) === 1n;
}

/**
 * Polls `condition` every 10 ms; false if it did not hold within `ms`. A test
 * that needs the condition should rather use {@link until}, which says what
 * it waited for when it times out.
 */
export async function waitFor(
  condition: () => boolean,
  ms: number,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return condition();
}

/**
 * Waits until `condition` holds: the way a test waits for something a process
 * does, never a fixed sleep. The deadline is generous (a loaded 2-core machine
 * runs the Deno, Bun and binary suites); on timeout it throws, naming `what`
 * (a function is called then, to show the state it found).
 */
export async function until(
  condition: () => boolean,
  what: string | (() => string),
  ms = 20_000,
): Promise<void> {
  if (await waitFor(condition, ms)) return;
  const said = typeof what === "function" ? what() : what;
  throw new Error(`timed out after ${ms} ms waiting for ${said}`);
}

let interpreter: string | undefined;

/**
 * The real Python interpreter's path. `python3` on PATH may be a shim (pyenv's
 * is a bash script that runs helper processes before it execs the
 * interpreter), so a daemon started as `python3` is briefly several processes:
 * a test that counts a daemon's processes runs this instead.
 */
export function python(): string {
  if (interpreter === undefined) {
    const ran = run(["python3", "-c", "import sys; print(sys.executable)"]);
    interpreter = ran.stdout.trim();
    if (ran.code !== 0 || !interpreter) {
      throw new Error(`cannot find the Python interpreter: ${ran.stderr}`);
    }
  }
  return interpreter;
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on now, for a program that
 * must be told its port. It is drawn below the kernel's ephemeral range, so
 * no connection or `listen(0)` elsewhere on the machine takes it meanwhile.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("no free port found in 20000-31999");
}

/** Reads a file, or "" when it does not exist. */
export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Options of {@link startFixture}. */
export interface FixtureRun {
  /** Options passed to `daemonize()`. */
  options?: Record<string, unknown>;
  /** A misbehaviour of the fixture (see tests/fixtures/report.ts). */
  behaviour?: string;
  /** Runtime flags before the script. */
  flags?: string[];
  /** Extra arguments after the script. */
  args?: string[];
  env?: Record<string, string>;
  cwd?: string | undefined;
  /** Wraps the command (e.g. in `script` or `setpriv`). */
  wrap?: (command: string[]) => string[];
}

/** Runs the report fixture's starter to its end. */
export function startFixture(
  tag: string,
  report: string,
  o: FixtureRun = {},
): Ran {
  const command = runtimeCommand(
    fixture("report.ts"),
    [tag, ...(o.args ?? [])],
    o.flags,
  );
  return run(o.wrap ? o.wrap(command) : command, {
    cwd: o.cwd,
    env: {
      DAEMON_OPTIONS: JSON.stringify(o.options ?? {}),
      DAEMON_BEHAVIOUR: o.behaviour ?? "",
      DAEMON_REPORT: report,
      ...o.env,
    },
  });
}

/** Quotes words for `sh -c`. */
export function shellQuote(words: string[]): string {
  return words.map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
}

/**
 * Runs `body` with a fresh temporary directory and a process tag; afterwards
 * kills every process carrying the tag (by pid) and removes the directory.
 */
export async function withTemp(
  body: (dir: string, tag: string) => void | Promise<void>,
): Promise<void> {
  const dir = tempDir();
  const tag = newTag();
  try {
    await body(dir, tag);
  } finally {
    await killTagged(tag);
    removeDir(dir);
  }
}

/**
 * What a command test gets: its state folder, a folder for its own files, its
 * tag, and the command.
 */
export interface Ctx {
  /**
   * The state folder ($DAEMONIZE_HOME): the command's files only. The test
   * reads them, and writes there only to forge a record on purpose; its
   * own files (configs, scripts, outputs) go to `work`, since the command
   * may name a file of its own like any of them.
   */
  home: string;
  /** A folder of the test's own, apart from the state folder. */
  work: string;
  tag: string;
  cli(args: string[], env?: Record<string, string>): Ran;
}

/**
 * Runs `body` with a fresh state folder ($DAEMONIZE_HOME), a fresh folder
 * for its own files and a tag every started program inherits (TEST_TAG);
 * afterwards kills every tagged process by pid and removes both folders.
 */
export async function withHome(body: (c: Ctx) => void | Promise<void>): Promise<void> {
  const home = tempDir();
  const work = tempDir();
  const tag = newTag();
  const cli = (args: string[], env: Record<string, string> = {}) =>
    run(cliCommand(args), {
      env: { DAEMONIZE_HOME: home, TEST_TAG: tag, NO_COLOR: "", ...env },
    });
  try {
    await body({ home, work, tag, cli });
  } finally {
    await killTagged(tag);
    removeDir(home);
    removeDir(work);
  }
}

/**
 * Registers a test of the form under test, named `[form] name`, whose body
 * gets a fresh state folder (see {@link withHome}); `timeout` is in ms.
 */
export function formTest(
  name: string,
  body: (c: Ctx) => void | Promise<void>,
  timeout?: number,
): void {
  test(`[${form}] ${name}`, () => withHome(body), timeout);
}

/** The pid in a named daemon's pid file. */
export function pidOf(dir: string, name: string): number {
  return Number(readText(join(dir, `${name}.pid`)));
}
