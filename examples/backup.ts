/**
 * Directory backup daemon: copies a directory tree to a
 * destination on a schedule, incrementally — a file unchanged since the last
 * snapshot (same size and modification time) is hard-linked to it, not
 * copied — and keeps the last N snapshots. A snapshot is built under a
 * hidden `.partial-` name and renamed into place when complete, so a
 * half-written one is never visible.
 *
 *   deno run -A examples/backup.ts start|stop|restart|status|run
 *
 * Config ($BACKUP_CONFIG, a JSON file):
 *   { "source": "/srv/data", "destination": "/var/backups/data",
 *     "interval": 3600000, "keep": 7, "log": "/tmp/backup.log" }
 */
import {
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  type Stats,
  symlinkSync,
  utimesSync,
} from "node:fs";
import { join } from "node:path";
import { control, every, Logger } from "../mod.ts";
import {
  commandNeedsConfig,
  fail,
  numberField,
  orExit,
  readConfig,
  stringField,
} from "./_config.ts";

// Read only by the commands that start it: stop and status need no config.
const settings = commandNeedsConfig() ? orExit(() => load()) : undefined;

function load() {
  const config = readConfig("BACKUP_CONFIG", true);
  const source = stringField(config, "source");
  let isDirectory = false;
  try {
    isDirectory = lstatSync(source).isDirectory();
  } catch {
    fail(`config field "source": ${source} does not exist`);
  }
  if (!isDirectory) fail(`config field "source": ${source} is not a directory`);
  return {
    source,
    destination: stringField(config, "destination"),
    interval: numberField(config, "interval", 3_600_000),
    keep: numberField(config, "keep", 7),
    logPath: stringField(config, "log", "/tmp/backup.log"),
  };
}

const daemon = await control({ name: "backup" });
const { source, destination, interval, keep, logPath } = settings!;
const log = new Logger(logPath);

/** What one snapshot did. */
interface Tally {
  copied: number;
  bytes: number;
  linked: number;
  dirs: number;
}

/** Same size and modification time (to the millisecond the copy keeps). */
function unchanged(now: Stats, before: Stats | undefined): boolean {
  return !!before && before.isFile() && before.size === now.size &&
    Math.floor(before.mtimeMs) === Math.floor(now.mtimeMs);
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Copies `from` into `to`, hard-linking files unchanged since `previous`. */
function copyTree(from: string, to: string, previous: string | undefined, tally: Tally): void {
  mkdirSync(to);
  tally.dirs++;
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    const prev = previous === undefined ? undefined : join(previous, name);
    const stat = lstatSync(src);
    if (stat.isDirectory()) {
      copyTree(src, dst, prev, tally);
    } else if (stat.isSymbolicLink()) {
      symlinkSync(readlinkSync(src), dst);
    } else if (stat.isFile()) {
      if (prev !== undefined && unchanged(stat, statOrUndefined(prev))) {
        linkSync(prev, dst);
        tally.linked++;
      } else {
        copyFileSync(src, dst);
        utimesSync(dst, stat.atime, stat.mtime);
        tally.copied++;
        tally.bytes += stat.size;
      }
    }
  }
}

function snapshots(): string[] {
  return readdirSync(destination).filter((name) => /^\d{8}T\d{9}Z$/.test(name)).sort();
}

function snapshot(): void {
  mkdirSync(destination, { recursive: true });
  for (const name of readdirSync(destination)) {
    if (name.startsWith(".partial-")) rmSync(join(destination, name), { recursive: true });
  }
  const name = new Date().toISOString().replace(/[-:.]/g, "");
  const existing = snapshots();
  const previous = existing.at(-1);
  const partial = join(destination, `.partial-${name}`);
  const tally: Tally = { copied: 0, bytes: 0, linked: 0, dirs: 0 };
  copyTree(source, partial, previous && join(destination, previous), tally);
  renameSync(partial, join(destination, name));
  const expired = [...existing, name].slice(0, -keep);
  for (const old of expired) rmSync(join(destination, old), { recursive: true });
  log.info(
    `snapshot ${name}: ${tally.copied} copied (${tally.bytes} bytes), ${tally.linked} linked, ` +
      `${tally.dirs} directories; ${expired.length} expired`,
  );
}

log.info(`backup of ${source} to ${destination} every ${interval} ms, keeping ${keep}`);
const schedule = every(interval, snapshot, {
  signal: daemon.signal,
  onError: (error) => log.error("snapshot failed:", error),
});
daemon.onStop(async () => {
  await schedule.stop();
  log.info("backup stopping");
  log.close();
});
