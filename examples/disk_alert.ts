/**
 * Disk-space alert daemon: checks the free space of one or
 * more mount points every interval and sends an e-mail through SMTP when it
 * falls under a threshold — one alert per crossing, not one per check — and a
 * recovery notice when it is back above. `reload` (SIGHUP) rereads the config.
 *
 *   deno run -A examples/disk_alert.ts start|stop|restart|reload|status|run
 *
 * Config ($DISK_ALERT_CONFIG, a JSON file):
 *   { "paths": ["/", "/var"], "threshold": "10%",   // or a number of bytes
 *     "interval": 60000, "log": "/tmp/disk-alert.log",
 *     "from": "daemon@example.org", "to": ["ops@example.org"],
 *     "smtp": { "host": "127.0.0.1", "port": 25, "user": "…", "pass": "…",
 *               "starttls": "auto", "secure": false, "rejectUnauthorized": true } }
 */
import { statfsSync } from "node:fs";
import { hostname } from "node:os";
import { control, every, Logger } from "../mod.ts";
import {
  commandNeedsConfig,
  fail,
  numberField,
  orExit,
  readConfig,
  stringField,
} from "./_config.ts";
import { checkMail, sendMail, type SmtpOptions } from "./smtp.ts";

interface Settings {
  paths: string[];
  /** Below this is low: a fraction of the size (0–1), or bytes. */
  threshold: { fraction: number } | { bytes: number };
  interval: number;
  from: string;
  to: string[];
  smtp: SmtpOptions;
  log: string;
}

function settings(): Settings {
  const config = readConfig("DISK_ALERT_CONFIG", true);
  const paths = config.paths ?? ["/"];
  if (!Array.isArray(paths) || paths.length === 0 || paths.some((p) => typeof p !== "string")) {
    fail(`config field "paths": expected a list of mount points`);
  }
  const raw = config.threshold ?? "10%";
  let threshold: Settings["threshold"];
  if (typeof raw === "string" && /^\d+(\.\d+)?%$/.test(raw) && parseFloat(raw) <= 100) {
    threshold = { fraction: parseFloat(raw) / 100 };
  } else if (typeof raw === "number" && raw >= 0) {
    threshold = { bytes: raw };
  } else {
    fail(
      `config field "threshold": expected "N%" or a number of bytes, got ${JSON.stringify(raw)}`,
    );
  }
  const to = config.to;
  if (!Array.isArray(to) || to.length === 0 || to.some((t) => typeof t !== "string")) {
    fail(`config field "to": expected a list of addresses`);
  }
  const smtp = config.smtp;
  if (typeof smtp !== "object" || smtp === null) fail(`config field "smtp": expected an object`);
  const server = smtp as Record<string, unknown>;
  const from = stringField(config, "from");
  try {
    checkMail({ from, to: to as string[], subject: "", text: "" });
  } catch (error) {
    fail(
      `config field "${(error as Error).message.includes("from") ? "from" : "to"}": ${
        (error as Error).message
      }`,
    );
  }
  return {
    paths: paths as string[],
    threshold,
    interval: numberField(config, "interval", 60_000),
    from,
    to: to as string[],
    smtp: {
      ...(server as unknown as SmtpOptions),
      host: stringField(server, "host"),
      port: numberField(server, "port", 25),
    },
    log: stringField(config, "log", "/tmp/disk-alert.log"),
  };
}

// Read only by the commands that start it: stop, status and reload (a
// signal to the running daemon, which rereads it) need no config.
const initial = commandNeedsConfig() ? orExit(settings) : undefined;
const daemon = await control({
  name: "disk-alert",
  signalMap: { SIGHUP: () => reload() },
});
let current = initial!;
const log = new Logger(current.log);
/** Per path: whether it was low at the last check that was reported. */
const low = new Map<string, boolean>();

function reload(): void {
  try {
    current = settings();
    log.info(`config reloaded: ${current.paths.join(", ")} under ${describe(current.threshold)}`);
  } catch (error) {
    log.error("config reload failed, keeping the old one:", error);
  }
}

function describe(threshold: Settings["threshold"]): string {
  return "fraction" in threshold ? `${threshold.fraction * 100}%` : `${threshold.bytes} bytes`;
}

function gb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

async function check(): Promise<void> {
  const host = hostname();
  for (const path of current.paths) {
    const fs = statfsSync(path);
    const free = fs.bavail * fs.bsize;
    const total = fs.blocks * fs.bsize;
    const isLow = "fraction" in current.threshold
      ? free < total * current.threshold.fraction
      : free < current.threshold.bytes;
    const was = low.get(path) ?? false;
    const summary = `${gb(free)} free of ${gb(total)} (${((100 * free) / total).toFixed(1)}%)`;
    log.debug(`${path}: ${summary}`);
    if (isLow === was) continue;
    const subject = isLow
      ? `low disk space on ${path} at ${host}`
      : `disk space recovered on ${path} at ${host}`;
    const text = `${path} on ${host}: ${summary}; threshold ${describe(current.threshold)}.\n`;
    // The state changes only once the mail is out: a failed alert is retried.
    const result = await sendMail(current.smtp, {
      from: current.from,
      to: current.to,
      subject,
      text,
    });
    low.set(path, isLow);
    log.info(`${isLow ? "alert" : "recovery"} sent for ${path} (${summary}): ${result.reply}`);
  }
}

log.info(`watching ${current.paths.join(", ")} under ${describe(current.threshold)}`);
const schedule = every(current.interval, check, {
  signal: daemon.signal,
  onError: (error) => log.error("check failed:", error),
});
daemon.onStop(async () => {
  await schedule.stop();
  log.info("disk alert stopping");
  log.close();
});
