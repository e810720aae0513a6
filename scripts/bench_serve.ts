/**
 * `daemonize serve`: what it costs idle (RSS, and CPU ticks over 10 s with
 * no client) in each form, and how long a `/metrics` scrape and an
 * `/api/daemons` answer take with 100 daemons known (medians of 15).
 *
 *   deno run -A scripts/bench_serve.ts     # build the binary first
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { median } from "./bench/stats.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const FORMS: Record<string, string[]> = {
  binary: [join(root, "dist", "daemonize")],
  deno: [join(root, "node_modules", "deno", "deno"), "run", "-A", join(root, "mod.ts")],
  bun: [join(root, "node_modules", "bun", "bin", "bun.exe"), join(root, "mod.ts")],
};
const DAEMONS = 100;
const RUNS = 15;

/** utime + stime of `pid`, in clock ticks. */
function ticks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** VmRSS of `pid` in MiB. */
function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) / 1024;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `serve` of `form` on `port` with state folder `home`; its pid once it answers. */
async function startServe(command: string[], home: string, port: number): Promise<number> {
  const child = spawn(
    command[0]!,
    [...command.slice(1), "serve", "--listen", `127.0.0.1:${port}`],
    {
      env: { ...process.env, DAEMONIZE_HOME: home },
      stdio: "ignore",
    },
  );
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/daemons`)).ok) return child.pid!;
    } catch {
      // Not listening yet.
    }
    await pause(50);
  }
  throw new Error(`serve (${command.join(" ")}) did not answer`);
}

/** Milliseconds of each of `RUNS` GETs of `url`, after one warm-up. */
async function timeGets(url: string): Promise<number[]> {
  await (await fetch(url)).text();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await (await fetch(url)).text();
    times.push(performance.now() - started);
  }
  return times;
}

/** Measures every form whose command exists; prints one table. */
export async function benchServe(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "daemonize-bench-serve-"));
  const cli = FORMS.binary![0]!;
  const daemonize = existsSync(cli) ? [cli] : FORMS.deno!;
  try {
    console.log(`\nserve: idle cost with no client (10 s), and answers with ${DAEMONS} daemons`);
    console.log("form    idle RSS   CPU ticks/10 s   /metrics median (min)   /api/daemons median");
    for (let i = 0; i < DAEMONS; i++) {
      const ran = spawnSync(daemonize[0]!, [
        ...daemonize.slice(1),
        "start",
        "--name",
        `bench-${i}`,
        "--",
        "sleep",
        "600",
      ], { env: { ...process.env, DAEMONIZE_HOME: home }, stdio: "ignore" });
      if (ran.status !== 0) throw new Error(`start of daemon ${i} failed`);
    }
    let port = 29_400;
    for (const [form, command] of Object.entries(FORMS)) {
      if (!existsSync(command[0]!)) {
        console.log(`${form.padEnd(7)} skipped: ${command[0]} is missing`);
        continue;
      }
      const pid = await startServe(command, home, ++port);
      try {
        // Settled first (it hands back its start-up pages at 3 s): that is not idling.
        await pause(5000);
        const before = ticks(pid);
        await pause(10_000);
        const idleTicks = ticks(pid) - before;
        const rss = rssMiB(pid);
        const metrics = await timeGets(`http://127.0.0.1:${port}/metrics`);
        const api = await timeGets(`http://127.0.0.1:${port}/api/daemons`);
        console.log(
          `${form.padEnd(7)} ${rss.toFixed(1).padStart(5)} MiB   ${String(idleTicks).padStart(8)}` +
            `         ${median(metrics)!.toFixed(1).padStart(6)} ms (${
              Math.min(...metrics).toFixed(1)
            })        ${median(api)!.toFixed(1).padStart(6)} ms`,
        );
      } finally {
        process.kill(pid, "SIGTERM");
      }
    }
  } finally {
    spawnSync(daemonize[0]!, [...daemonize.slice(1), "stop", "--all"], {
      env: { ...process.env, DAEMONIZE_HOME: home },
      stdio: "ignore",
    });
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchServe();
