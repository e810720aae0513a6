/**
 * The supervision part of the benchmark (run by `scripts/bench.ts`, or on
 * its own): the supervisor's idle memory, how long a crashed program takes
 * to run again, and how fast captured output reaches its log, next to pm2
 * and supervisord measured in the same run.
 *
 *   deno run -A scripts/bench_supervision.ts [--runs 5] [--baseline DIR]
 *
 * With `--baseline DIR` (another checkout, its `npm install` and binary
 * build done), each of our forms is measured beside the same form of DIR,
 * in the same run.
 *
 * Peers: `apt-get install supervisor`, `npm install --prefix /tmp/peers pm2`.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { median } from "./bench/stats.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const baselineArg = process.argv.indexOf("--baseline");
const baseline = baselineArg > 0 ? process.argv[baselineArg + 1] : undefined;
const deno = join(root, "node_modules", "deno", "deno");
const bun = join(root, "node_modules", "bun", "bin", "bun.exe");
const binary = join(root, "dist", "daemonize");
const pm2 = process.env.PM2 ?? "/tmp/peers/node_modules/.bin/pm2";
const work = mkdtempSync(join(tmpdir(), "daemonize-bench-sup-"));
const env = { ...process.env, DAEMONIZE_HOME: work, PM2_HOME: join(work, "pm2") };
const LINES = 1_000_000;

function run(command: string[], allowFail = false): string {
  const result = spawnSync(command[0]!, command.slice(1), { env, encoding: "utf8" });
  if (result.status !== 0 && !allowFail) {
    throw new Error(`${command.join(" ")} exited ${result.status}: ${result.stderr}`);
  }
  return result.stdout;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function stat(pid: number): { ppid: number; comm: string; state: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const f = text.slice(close + 2).split(" ");
    return { ppid: Number(f[1]), comm: text.slice(text.indexOf("(") + 1, close), state: f[0]! };
  } catch {
    return undefined;
  }
}

/** Live children of `parent` named `comm`. */
function children(parent: number, comm: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s && s.ppid === parent && s.comm === comm && s.state !== "Z" && !keeper(Number(entry))) {
      found.push(Number(entry));
    }
  }
  return found;
}

/** Whether `pid` is our supervisor's output keeper (a `sleep` too, but not the program). */
function keeper(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("daemonize: output of");
  } catch {
    return false;
  }
}

/** Words quoted for a shell-like parser (supervisord's `command=`). */
function quoted(words: string[]): string {
  return words.map((w) => `'${w.replaceAll("'", `'"'"'`)}'`).join(" ");
}

function rssMb(pid: number, field = "VmRSS"): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(
      readFileSync(`/proc/${pid}/status`, "utf8"),
    );
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function waitFor(condition: () => boolean, ms = 10_000): boolean {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (condition()) return true;
    sleep(1);
  }
  return condition();
}

/** A supervisor to measure: how to start `sleep 1000` under it, find it, and end it. */
interface Supervisor {
  name: string;
  /** Starts `command` supervised (restart always); returns the supervisor's pid. */
  start(name: string, command: string[], extra?: string[]): number;
  stop(name: string): void;
  /** Where the program's standard output goes. */
  log(name: string): string;
  /** Supervises again the program of a supervisor that was killed (ours only). */
  adopt?(name: string): void;
}

function ours(name: string, prefix: string[]): Supervisor {
  return {
    name,
    start(daemon, command, extra = []) {
      run([
        ...prefix,
        "start",
        "--name",
        daemon,
        "--restart",
        "always",
        ...extra,
        "--",
        ...command,
      ]);
      return Number(readFileSync(join(work, `${daemon}.pid`), "utf8"));
    },
    stop(daemon) {
      run([...prefix, "stop", daemon], true);
      run([...prefix, "forget", daemon], true);
    },
    log: (daemon) => join(work, `${daemon}.log`),
    adopt(daemon) {
      run([...prefix, "start", daemon]);
    },
  };
}

const supervisors: Supervisor[] = [];
const skipped: string[] = [];
/** Our forms, of checkout `dir`. */
function ourForms(dir: string, suffix = ""): Supervisor[] {
  const forms: Supervisor[] = [];
  const built = join(dir, "dist", "daemonize");
  if (existsSync(built)) forms.push(ours(`daemonize, binary${suffix}`, [built]));
  forms.push(ours(`daemonize, Bun${suffix}`, [bun, join(dir, "mod.ts")]));
  forms.push(ours(`daemonize, Deno${suffix}`, [deno, "run", "-A", join(dir, "mod.ts")]));
  return forms;
}
for (const [i, form] of ourForms(root).entries()) {
  supervisors.push(form);
  // The baseline's same form next to it (it may not take a program over).
  const old = baseline ? ourForms(baseline, " (baseline)")[i] : undefined;
  if (old) {
    const { adopt: _, ...rest } = old;
    supervisors.push(rest);
  }
}

if (existsSync(pm2)) {
  supervisors.push({
    name: "pm2 (defaults)",
    start(daemon, command) {
      run([pm2, "start", command[0]!, "--name", daemon, "--", ...command.slice(1)]);
      return Number(readFileSync(join(work, "pm2", "pm2.pid"), "utf8"));
    },
    stop(daemon) {
      run([pm2, "delete", daemon], true);
      run([pm2, "flush"], true);
    },
    log: (daemon) => join(work, "pm2", "logs", `${daemon}-out.log`),
  });
} else skipped.push("pm2 (npm install --prefix /tmp/peers pm2, or set PM2)");

if (existsSync("/usr/bin/supervisord")) {
  const conf = join(work, "supervisord.conf");
  supervisors.push({
    name: "supervisord (autorestart=true)",
    start(daemon, command) {
      writeFileSync(
        conf,
        `[supervisord]\nlogfile=${work}/supervisord.log\npidfile=${work}/supervisord.pid\n` +
          `nodaemon=false\n[unix_http_server]\nfile=${work}/supervisor.sock\n` +
          `[rpcinterface:supervisor]\n` +
          `supervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n` +
          `[supervisorctl]\nserverurl=unix://${work}/supervisor.sock\n` +
          `[program:${daemon}]\ncommand=${quoted(command)}\nautorestart=true\nstartsecs=0\n` +
          // Its whole process group on shutdown, or a shell's children outlive it.
          `stopasgroup=true\nkillasgroup=true\n` +
          `stdout_logfile=${work}/${daemon}-sd.log\nstdout_logfile_maxbytes=0\n`,
      );
      run(["/usr/bin/supervisord", "-c", conf]);
      waitFor(() => existsSync(join(work, "supervisord.pid")));
      return Number(readFileSync(join(work, "supervisord.pid"), "utf8"));
    },
    stop() {
      run(["/usr/bin/supervisorctl", "-c", conf, "shutdown"], true);
      waitFor(() => !existsSync(join(work, "supervisord.pid")));
    },
    log: (daemon) => join(work, `${daemon}-sd.log`),
  });
} else skipped.push("supervisord (apt-get install supervisor)");

interface Result {
  rss?: number | undefined;
  /** Memory of its own (RssAnon): not the executable's pages, shared with others. */
  private?: number | undefined;
  restart?: number | undefined;
  logSeconds?: number | undefined;
  /** Supervisor killed → `start NAME` → supervised again (ms). */
  adoption?: number | undefined;
}
const results = new Map<string, Result>();
const directLog: number[] = [];

// Idle memory of the supervisor, and crash-to-running-again: kill -9 the
// program, time until the supervisor's new one runs. Fresh each run, so that
// our backoff is at its first (default) delay.
for (const s of supervisors) {
  const rss: number[] = [];
  const privateMb: number[] = [];
  const restarts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const supervisor = s.start("nap", ["/bin/sleep", "1000"]);
    if (!waitFor(() => children(supervisor, "sleep").length === 1)) {
      throw new Error(`${s.name}: no program`);
    }
    if (i === 0) {
      sleep(3000);
      rss.push(rssMb(supervisor) ?? NaN);
      privateMb.push(rssMb(supervisor, "RssAnon") ?? NaN);
    }
    const [first] = children(supervisor, "sleep");
    const killed = performance.now();
    process.kill(first!, "SIGKILL");
    const back = waitFor(() => children(supervisor, "sleep").some((p) => p !== first));
    if (back) restarts.push(performance.now() - killed);
    s.stop("nap");
  }
  results.set(s.name, {
    rss: median(rss),
    private: median(privateMb),
    restart: median(restarts),
  });
}

// Adoption: the supervisor killed with SIGKILL, then `start NAME`: the time
// until a new supervisor watches the same program (start returns then).
// The peers have no such thing: they start a second copy.
for (const s of supervisors) {
  if (!s.adopt) continue;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const supervisor = s.start("orphan", ["/bin/sleep", "1000"]);
    if (!waitFor(() => children(supervisor, "sleep").length === 1)) {
      throw new Error(`${s.name}: no program`);
    }
    const [program] = children(supervisor, "sleep");
    process.kill(supervisor, "SIGKILL");
    waitFor(() => stat(supervisor) === undefined);
    const began = performance.now();
    s.adopt("orphan");
    const took = performance.now() - began;
    const record = JSON.parse(readFileSync(join(work, "orphan.pid.supervisor"), "utf8"));
    if (record.program !== program || !record.adopted) {
      throw new Error(`${s.name}: the program was not taken over`);
    }
    times.push(took);
    s.stop("orphan");
  }
  results.get(s.name)!.adoption = median(times);
}

// Log throughput: a program writes LINES lines at full speed; time from the
// start until all are in its log, captured by the supervisor or written
// straight to the file (a plain start: the program's stdout is the file).
const expected = spawnSync("sh", ["-c", `seq 1 ${LINES} | wc -c`], { encoding: "utf8" });
const bytes = Number(expected.stdout.trim());
const writer = ["/bin/sh", "-c", `sleep 0.2; seq 1 ${LINES}; sleep 1000`];
const complete = (path: string) => () => {
  try {
    return statSync(path).size >= bytes;
  } catch {
    return false;
  }
};
for (const s of supervisors) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const extra = s.name.startsWith("daemonize") ? ["--log-max-size", "1G"] : [];
    const began = performance.now();
    s.start("burst", writer, extra);
    if (waitFor(complete(s.log("burst")), 60_000)) times.push(performance.now() - began - 200);
    s.stop("burst");
    rmSync(s.log("burst"), { force: true });
  }
  results.get(s.name)!.logSeconds = median(times);
}
for (let i = 0; i < RUNS; i++) {
  const began = performance.now();
  run([binary, "start", "--name", "direct", "--", ...writer]);
  if (waitFor(complete(join(work, "direct.log")), 60_000)) {
    directLog.push(performance.now() - began - 200);
  }
  run([binary, "stop", "direct"], true);
  run([binary, "forget", "direct"], true);
}
if (existsSync(pm2)) run([pm2, "kill"], true);
rmSync(work, { recursive: true, force: true });

const f = (n: number | undefined, digits = 1) => (n === undefined ? "—" : n.toFixed(digits));
const mbps = (ms: number | undefined) => (ms ? (bytes / 1e6 / (ms / 1000)).toFixed(0) : "—");
console.log(
  `\nSupervision, medians of ${RUNS} runs: a supervised \`sleep 1000\`; ${LINES} lines (${
    (bytes / 1e6).toFixed(1)
  } MB) written at full speed\n`,
);
console.log(
  "| supervisor | idle RSS (MiB) | of it private (MiB) | crash → running again (ms) | log: all lines in (ms) | MB/s | supervisor killed → supervised again (ms) |",
);
console.log("|---|---|---|---|---|---|---|");
for (const [name, r] of results) {
  console.log(
    `| ${name} | ${f(r.rss)} | ${f(r.private)} | ${f(r.restart)} | ${f(r.logSeconds, 0)} | ${
      mbps(r.logSeconds)
    } | ${
      r.adoption !== undefined
        ? f(r.adoption)
        : name.endsWith("(baseline)")
        ? "—"
        : "— (starts a second copy)"
    } |`,
  );
}
const direct = median(directLog);
console.log(
  `| (no supervisor: the program writes the file itself) | — | — | — | ${f(direct, 0)} | ${
    mbps(direct)
  } | — |`,
);
console.log(
  "\nOur restart waits --restart-delay (0.1 s by default) first; pm2 and supervisord restart at once.",
);
if (skipped.length) console.log(`Skipped: ${skipped.join("; ")}`);
