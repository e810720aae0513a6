/**
 * Side-by-side benchmark: start, stop and status latency and idle RSS of our
 * daemon forms (Deno, Bun, the binary) next to bare runtime starts and the
 * peers a user would otherwise pick (start-stop-daemon, daemonize(1),
 * python-daemon, pm2). Prints one table of medians and the ratios.
 *
 *   deno run -A scripts/bench.ts [--runs 15] [--baseline DIR] [--only TEXT]
 *
 * With `--baseline DIR` (another checkout, its `npm install` and binary
 * build done), each of our forms is measured against the same form of DIR
 * in one loop, run for run, and a "÷ baseline" column says the ratio.
 *
 * With `--only TEXT`, only the rows whose name contains TEXT are measured
 * (with the bare starts they are compared to), and the supervision table is
 * left out: for a closer look at a few rows with more runs.
 *
 * Peers come from Debian (`apt-get install daemonize python3-daemon`) and npm
 * (`npm install --prefix /tmp/peers pm2`); a missing one is skipped and said so.
 * Build the binary first (`deno run -A scripts/build.ts`).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { median } from "./bench/stats.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
const baselineArg = process.argv.indexOf("--baseline");
const baseline = baselineArg > 0 ? process.argv[baselineArg + 1] : undefined;
const onlyArg = process.argv.indexOf("--only");
const only = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;
const wanted = (name: string) => only === undefined || name.includes(only);
const deno = join(root, "node_modules", "deno", "deno");
const bun = join(root, "node_modules", "bun", "bin", "bun.exe");
const binary = join(root, "dist", "daemonize");
const pm2 = process.env.PM2 ?? "/tmp/peers/node_modules/.bin/pm2";
const work = mkdtempSync(join(tmpdir(), "daemonize-bench-"));
const pidFile = join(work, "bench.pid");
const env = {
  ...process.env,
  DAEMONIZE_HOME: work,
  PM2_HOME: join(work, "pm2"),
};

/** Runs a command; returns wall milliseconds, failing loudly on a non-zero exit. */
function timed(command: string[], allowFail = false): number {
  const started = performance.now();
  const result = spawnSync(command[0]!, command.slice(1), {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const ms = performance.now() - started;
  if (result.status !== 0 && !allowFail) {
    throw new Error(
      `${command.join(" ")} exited ${result.status}: ${result.stderr}`,
    );
  }
  return ms;
}

function pidIn(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

function waitGone(pid: number): void {
  const deadline = Date.now() + 5000;
  while (alive(pid) && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  }
}

function kill(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone.
  }
  waitGone(pid);
}

/**
 * A process's resident memory (`VmRSS`) and the part of it no other process
 * shares or could page back in from a file (`RssAnon`), in kB.
 */
function memoryKb(pid: number): { rss: number; anon: number } | undefined {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rss = /^VmRSS:\s+(\d+)/m.exec(status);
  const anon = /^RssAnon:\s+(\d+)/m.exec(status);
  return rss && anon ? { rss: Number(rss[1]), anon: Number(anon[1]) } : undefined;
}

interface Row {
  name: string;
  start?: number | undefined;
  stop?: number | undefined;
  status?: number | undefined;
  rss?: number | undefined;
  anon?: number | undefined;
  note?: string | undefined;
}

interface Form {
  name: string;
  start: string[];
  stop?: string[];
  status?: string[];
  /** The daemon's pid after a start. */
  pid: () => number | undefined;
  cleanup?: () => void;
  rss?: boolean;
}

/** Measures one form: RUNS starts (after a warm-up), stops and status checks. */
function measure(form: Form): Row[] {
  return measureTogether([form]);
}

/**
 * Measures forms run for run (each iteration runs every form once, in
 * turn), so that a noisy moment of the machine weighs on all of them alike.
 */
function measureTogether(all: Form[]): Row[] {
  const forms = all.filter((form) => wanted(form.name.replace(" (baseline)", "")));
  const results = forms.map(() => ({
    starts: [] as number[],
    stops: [] as number[],
    statuses: [] as number[],
    memory: undefined as { rss: number; anon: number } | undefined,
  }));
  for (let i = -1; i < RUNS; i++) {
    forms.forEach((form, k) => {
      const r = results[k]!;
      // Peers return before their daemon has set itself up: the clock runs
      // until the pid file names a live process (ours do on return).
      const began = performance.now();
      timed(form.start);
      let pid = form.pid();
      while ((pid === undefined || !alive(pid)) && performance.now() - began < 5000) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        pid = form.pid();
      }
      const start = performance.now() - began;
      if (pid === undefined || !alive(pid)) {
        throw new Error(`${form.name}: no live daemon after start (pid ${pid})`);
      }
      if (form.status) {
        const ms = timed(form.status);
        if (i >= 0) r.statuses.push(ms);
      }
      if (i === 0 && form.rss) {
        // After the daemon handed back its start-up pages (2 s after ready).
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, IDLE_AFTER_MS);
        r.memory = memoryKb(pid);
      }
      if (form.stop) {
        const ms = timed(form.stop);
        waitGone(pid);
        if (i >= 0) r.stops.push(ms);
      } else {
        kill(pid);
      }
      form.cleanup?.();
      if (i >= 0) r.starts.push(start);
    });
  }
  return forms.map((form, k) => {
    const r = results[k]!;
    return {
      name: form.name,
      start: median(r.starts),
      stop: r.stops.length ? median(r.stops) : undefined,
      status: r.statuses.length ? median(r.statuses) : undefined,
      rss: r.memory && r.memory.rss / 1024,
      anon: r.memory && r.memory.anon / 1024,
    };
  });
}

/** Our form, and the same form of the baseline checkout when there is one. */
function ours(make: (dir: string) => Form): Row[] {
  const forms = [make(root)];
  if (baseline) forms.push({ ...make(baseline), name: `${make(baseline).name} (baseline)` });
  return measureTogether(forms);
}

/** When a process counts as idle, for its resident memory (ms after its start). */
const IDLE_AFTER_MS = 3_000;

/** The resident memory of `command` idling (a bare runtime with a timer). */
function idle(name: string, command: string[]): Row {
  const child = spawn(command[0]!, command.slice(1), { env, stdio: "ignore" });
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, IDLE_AFTER_MS);
  const kb = memoryKb(child.pid!);
  child.kill("SIGKILL");
  return { name, rss: kb && kb.rss / 1024, anon: kb && kb.anon / 1024, note: "idle, no daemon" };
}

function bare(name: string, command: string[]): Row {
  const runs: number[] = [];
  for (let i = -1; i < RUNS; i++) {
    const ms = timed(command);
    if (i >= 0) runs.push(ms);
  }
  return { name, start: median(runs), note: "bare start, no daemon" };
}

const sleepName = "napper";
const namedPid = () => pidIn(join(work, `${sleepName}.pid`));
/** `start` of `program` (`sleep 1000`) with `--grace grace`; null: the default wait (until it settles). */
const cli = (
  prefix: string[],
  grace: string | null = "0",
  extra: string[] = [],
  program = ["sleep", "1000"],
) => ({
  start: [
    ...prefix,
    "start",
    "--name",
    sleepName,
    ...(grace === null ? [] : ["--grace", grace]),
    ...extra,
    "--",
    ...program,
  ],
  stop: [...prefix, "stop", sleepName],
  status: [...prefix, "status", sleepName],
});
/**
 * The library daemon of checkout `dir`: this checkout's script
 * (`scripts/bench/lib_daemon.ts`) importing `dir`'s `entry` (`mod.ts`, or
 * the narrow `daemonize.ts`; a checkout without it is measured on `mod.ts`),
 * so that a baseline runs the same program.
 */
function libraryScript(dir: string, entry = "mod.ts"): string {
  const module = existsSync(join(dir, entry)) ? entry : "mod.ts";
  const script = join(
    work,
    `lib_daemon_${dir === root ? "this" : "baseline"}_${module.replace(".ts", "")}.ts`,
  );
  const text = readFileSync(join(root, "scripts/bench/lib_daemon.ts"), "utf8");
  if (!text.includes(`"../../mod.ts"`)) {
    throw new Error("lib_daemon.ts no longer imports ../../mod.ts");
  }
  writeFileSync(script, text.replace(`"../../mod.ts"`, JSON.stringify(join(dir, module))));
  return script;
}
const rows: Row[] = [];
const skipped: string[] = [];

const denoRun = [deno, "run", "-A"];
rows.push(
  bare("deno run (empty script)", [
    ...denoRun,
    join(root, "scripts/bench/empty.ts"),
  ]),
);
rows.push(
  bare("bun (empty script)", [bun, join(root, "scripts/bench/empty.ts")]),
);
rows.push(idle("deno run, idle (a timer only)", [...denoRun, join(root, "scripts/bench/idle.ts")]));
rows.push(idle("bun, idle (a timer only)", [bun, join(root, "scripts/bench/idle.ts")]));
for (const [label, runtime] of [["Deno", denoRun], ["Bun", [bun]]] as const) {
  for (const mode of ["double", "single"]) {
    rows.push(...ours((dir) => ({
      name: `daemonize() library, ${label}, ${mode} detach`,
      start: [...runtime, libraryScript(dir), pidFile, mode],
      stop: [...runtime, join(dir, "mod.ts"), "stop", "--pid-file", pidFile],
      status: [...runtime, join(dir, "mod.ts"), "status", "--pid-file", pidFile],
      pid: () => pidIn(pidFile),
      rss: mode === "double",
    })));
  }
  // The same daemon importing the narrow entry, which loads only the part it plays.
  rows.push(...ours((dir) => ({
    name: `daemonize() library, ${label}, double detach, narrow import (daemonize.ts)`,
    start: [...runtime, libraryScript(dir, "daemonize.ts"), pidFile, "double"],
    stop: [...runtime, join(dir, "mod.ts"), "stop", "--pid-file", pidFile],
    status: [...runtime, join(dir, "mod.ts"), "status", "--pid-file", pidFile],
    pid: () => pidIn(pidFile),
    rss: true,
  })));
}
const forms: [string, (dir: string) => string[]][] = [
  ["command, Deno (deno run -A mod.ts)", (dir) => [...denoRun, join(dir, "mod.ts")]],
  ["command, Bun (bun mod.ts)", (dir) => [bun, join(dir, "mod.ts")]],
];
if (existsSync(binary)) {
  forms.push(["command, binary (dist/daemonize)", (dir) => [join(dir, "dist", "daemonize")]]);
} else skipped.push("the binary (run scripts/build.ts first)");
for (const [label, prefix] of forms) {
  for (
    const row of ours((dir) => ({
      name: `${label} start -- sleep`,
      ...cli(prefix(dir)),
      pid: namedPid,
    }))
  ) rows.push({ ...row, rss: 0, anon: 0 });
  // The supervisor's start, and its idle memory.
  rows.push(...ours((dir) => ({
    name: `${label} start --restart always -- sleep`,
    ...cli(prefix(dir), "0", ["--restart", "always"]),
    pid: namedPid,
    rss: true,
  })));
}
if (existsSync(binary)) {
  rows.push(...ours((dir) => ({
    name: "command, binary, --grace 0.1 -- sleep",
    ...cli([join(dir, "dist", "daemonize")], "0.1"),
    pid: namedPid,
  })));
  // What a healthy start waits by default (until the program settles), next
  // to no wait at all: for sleep, and for an interpreter's server (the real
  // interpreter: python3 may be a shim that runs helpers first).
  const python = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], {
    encoding: "utf8",
  }).stdout?.trim();
  const server = python ? [python, "-m", "http.server", "0"] : undefined;
  if (!server) skipped.push("the Python rows (no python3)");
  for (
    const [label, program] of [["sleep", undefined], ["python3 -m http.server 0", server]] as const
  ) {
    if (label !== "sleep" && !program) continue;
    for (
      const [how, grace] of [["--grace 0", "0"], ["default (until it settles)", null]] as const
    ) {
      rows.push(...ours((dir) => ({
        name: `command, binary, ${how} -- ${label}`,
        ...cli([join(dir, "dist", "daemonize")], grace, [], program ? [...program] : undefined),
        pid: namedPid,
      })));
    }
  }
}

rows.push(...measure({
  name: "peer: start-stop-daemon",
  start: [
    "start-stop-daemon",
    "--start",
    "--background",
    "--make-pidfile",
    "--pidfile",
    pidFile,
    "--exec",
    "/bin/sleep",
    "--",
    "1000",
  ],
  stop: [
    "start-stop-daemon",
    "--stop",
    "--pidfile",
    pidFile,
    "--retry",
    "TERM/5/KILL/5",
  ],
  status: ["start-stop-daemon", "--status", "--pidfile", pidFile],
  pid: () => pidIn(pidFile),
  cleanup: () => rmSync(pidFile, { force: true }),
}));
if (existsSync("/usr/bin/daemonize")) {
  rows.push(...measure({
    name: "peer: daemonize(1)",
    start: [
      "/usr/bin/daemonize",
      "-p",
      pidFile,
      "-l",
      pidFile,
      "/bin/sleep",
      "1000",
    ],
    pid: () => pidIn(pidFile),
    cleanup: () => rmSync(pidFile, { force: true }),
  }));
} else skipped.push("daemonize(1) (apt-get install daemonize)");
if (spawnSync("/usr/bin/python3", ["-c", "import daemon"]).status === 0) {
  rows.push(...measure({
    name: "peer: python-daemon",
    start: [
      "/usr/bin/python3",
      join(root, "scripts/bench/python_daemon.py"),
      pidFile,
    ],
    pid: () => pidIn(pidFile),
    cleanup: () => rmSync(pidFile, { force: true }),
    rss: true,
  }));
} else skipped.push("python-daemon (apt-get install python3-daemon)");
if (existsSync(pm2) && wanted("peer: pm2")) {
  const pm2Pid = () => {
    const out = spawnSync(pm2, ["pid", sleepName], { env, encoding: "utf8" })
      .stdout.trim();
    return Number(out.split("\n").at(-1)) || undefined;
  };
  const boot: number[] = [];
  for (let i = 0; i < 3; i++) {
    timed([pm2, "kill"], true);
    boot.push(
      timed([pm2, "start", "sleep", "--name", sleepName, "--", "1000"]),
    );
    timed([pm2, "delete", sleepName], true);
  }
  rows.push(...measure({
    name: "peer: pm2 (its daemon already up)",
    start: [pm2, "start", "sleep", "--name", sleepName, "--", "1000"],
    stop: [pm2, "delete", sleepName],
    status: [pm2, "describe", sleepName],
    pid: pm2Pid,
  }));
  rows.push({
    name: "peer: pm2 (booting its daemon)",
    start: median(boot),
    note: "3 runs",
  });
  timed([pm2, "kill"], true);
} else skipped.push("pm2 (npm install --prefix /tmp/peers pm2, or set PM2)");

rmSync(work, { recursive: true, force: true });

const f = (n: number | undefined) => (n === undefined ? "—" : n.toFixed(1));
const byName = (name: string) => rows.find((r) => r.name.startsWith(name))?.start;
const bareDeno = byName("deno run")!;
const bareBun = byName("bun (empty")!;
const pm2Start = byName("peer: pm2 (its");
const pythonStart = byName("peer: python-daemon");
console.log(
  `daemonize benchmark, ${
    new Date().toISOString().slice(0, 10)
  }, medians of ${RUNS} runs (ms; memory in MB)\n`,
);
const vsBaseline = baseline ? " start, stop, status ÷ baseline |" : "";
console.log(
  `| form | start | stop | status | idle RSS | idle anon | start ÷ bare | status ÷ bare | pm2 ÷ start |${vsBaseline}`,
);
console.log(`|---|---|---|---|---|---|---|---|---|${baseline ? "---|" : ""}`);
for (const r of rows) {
  const bareRef = r.name.includes("Bun") || r.name.includes("binary") ? bareBun : bareDeno;
  const ours = !r.name.startsWith("peer") && !r.note;
  const ratio = (n: number | undefined) => (ours && n ? (n / bareRef).toFixed(2) + "×" : "");
  const pm2Ratio = ours && r.start && pm2Start ? (pm2Start / r.start).toFixed(1) + "×" : "";
  const base = baseline && ours && !r.name.endsWith("(baseline)")
    ? rows.find((b) => b.name === `${r.name} (baseline)`)
    : undefined;
  const against = (a: number | undefined, b: number | undefined) =>
    a && b ? `${(a / b).toFixed(2)}×` : "—";
  const baseColumn = baseline
    ? ` ${
      base
        ? [against(r.start, base.start), against(r.stop, base.stop), against(r.status, base.status)]
          .join(", ")
        : ""
    } |`
    : "";
  console.log(
    `| ${r.name} | ${f(r.start)} | ${f(r.stop)} | ${f(r.status)} | ${f(r.rss)} | ${f(r.anon)} | ${
      ratio(r.start)
    } | ${ratio(r.status)} | ${pm2Ratio} |${baseColumn}`,
  );
}
if (baseline) console.log(`\nBaseline: ${baseline}, measured run for run with the same forms.`);
if (pythonStart) console.log(`\npython-daemon start: ${f(pythonStart)} ms`);
console.log("Idle RSS 0: no process of ours stays resident (the program itself is the daemon).");
console.log(
  "Idle anon: the resident memory that is the process's own (RssAnon): what each more daemon costs. " +
    "RSS also counts the runtime's code, shared with every process of the same runtime " +
    "(this benchmark's own runner among them, for Deno).",
);
console.log("Ratios are against the bare start of the same runtime (for the binary: bare Bun).");
if (skipped.length) console.log(`Skipped: ${skipped.join("; ")}`);

// Supervision: the supervisor's memory, restarts and captured output, next to pm2 and supervisord.
if (only === undefined) await import("./bench_supervision.ts");

// serve: its idle cost, and a scrape of 100 daemons.
if (only === undefined) await (await import("./bench_serve.ts")).benchServe();
