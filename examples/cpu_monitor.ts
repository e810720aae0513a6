/**
 * CPU monitor daemon: every interval, logs CPU usage
 * (from /proc/stat, like psutil.cpu_percent), the load average and memory.
 *
 *   deno run -A examples/cpu_monitor.ts start|stop|restart|status|run
 *
 * Config ($CPU_MONITOR_CONFIG, a JSON file, all optional):
 *   { "interval": 5000, "log": "/tmp/cpu-monitor.log", "maxBytes": 1000000, "backups": 3 }
 */
import { readFileSync } from "node:fs";
import { control, every, Logger } from "../mod.ts";
import { commandNeedsConfig, numberField, orExit, readConfig, stringField } from "./_config.ts";

// Read only by the commands that start it: stop and status need no config.
const settings = commandNeedsConfig() ? orExit(() => load()) : undefined;

function load() {
  const config = readConfig("CPU_MONITOR_CONFIG");
  return {
    interval: numberField(config, "interval", 5000),
    logPath: stringField(config, "log", "/tmp/cpu-monitor.log"),
    maxBytes: numberField(config, "maxBytes", 1_000_000),
    backups: numberField(config, "backups", 3),
  };
}

const daemon = await control({ name: "cpu-monitor" });
const { interval, logPath, maxBytes, backups } = settings!;
const log = new Logger(logPath, { maxBytes, backups });

/** Busy and total jiffies of all CPUs since boot. */
function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1)
    .map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  const idle = fields[3]! + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

function memoryUsedPercent(): number {
  const info = readFileSync("/proc/meminfo", "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(info)?.[1] ?? 0);
  return 100 * (1 - kb("MemAvailable") / kb("MemTotal"));
}

let previous = cpuTimes();
log.info(`cpu monitor started (pid ${daemon.pid}), every ${interval} ms`);
const schedule = every(interval, () => {
  const now = cpuTimes();
  const total = now.total - previous.total;
  const cpu = total > 0 ? (100 * (now.busy - previous.busy)) / total : 0;
  previous = now;
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  log.info(`cpu ${cpu.toFixed(1)}% load ${load} mem ${memoryUsedPercent().toFixed(0)}% used`);
}, { signal: daemon.signal, immediate: false });
daemon.onStop(async () => {
  await schedule.stop();
  log.info("cpu monitor stopping");
  log.close();
});
