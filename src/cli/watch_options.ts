/**
 * The options of restart on change (see `start_options.ts` for what an
 * entry says), the watch they ask for, and its checks at start, before
 * anything runs: each watched path exists, and its directories fit in the
 * host's free inotify watches.
 *
 * @module
 */
import { cwd } from "../host.ts";
import { joinPath, resolvePath } from "../paths.ts";
import {
  DEFAULT_IGNORES,
  inotifyLimit,
  watchedRoots,
  type WatchSettings,
} from "../supervisor/watch_paths.ts";
import { UsageError } from "./usage.ts";
import { getLibc } from "../../ffi/libc.ts";

/** The default quiet time after the last change before the restart (ms). */
const WATCH_DEBOUNCE = 300;

const NO_UNIT = "none: systemd has no restart on a file change";

/** Restart on change's entries of the option table (checked as entries there). */
export const WATCH_OPTIONS = [
  {
    flag: "--watch",
    type: "path",
    value: "PATH",
    repeatable: true,
    key: "watch",
    help:
      "restart it after a change under PATH (relative to --cwd), once per burst of changes (repeatable; in a file, a path or a list)",
    section: "supervision",
    unit: NO_UNIT,
  },
  {
    flag: "--watch-ignore",
    type: "glob",
    value: "GLOB",
    repeatable: true,
    key: "watchIgnore",
    shown: DEFAULT_IGNORES.join(", "),
    help:
      "changes that don't count, besides the default: a GLOB without / matches any name in the path (*.log), one with / the path under PATH (build/**) (repeatable)",
    section: "supervision",
    unit: NO_UNIT,
  },
  {
    flag: "--watch-debounce",
    type: "count",
    value: "MS",
    key: "watchDebounce",
    default: WATCH_DEBOUNCE,
    help: "restart once the watched paths were quiet this many milliseconds",
    section: "supervision",
    unit: NO_UNIT,
  },
] as const;

/** The option values a watch is made of (a part of `StartValues`). */
interface WatchValues {
  readonly watch: readonly string[];
  readonly watchIgnore: readonly string[];
  readonly watchDebounce: number;
  readonly cwd?: string | undefined;
  readonly chroot?: string | undefined;
}

/** The watch the options ask for, its paths made absolute (relative to `--cwd`, in a jail its). */
export function watchSettings(v: WatchValues, command: string): WatchSettings | undefined {
  if (v.watch.length === 0) {
    const alone = v.watchIgnore.length ? "--watch-ignore" : undefined;
    if (alone) throw new UsageError(`${alone} needs --watch`, command);
    return undefined;
  }
  const inJail = v.chroot !== undefined;
  const base = inJail ? resolvePath("/", v.cwd ?? "/") : resolvePath(cwd(), v.cwd ?? ".");
  return {
    paths: [
      ...new Set(v.watch.map((p) => {
        if (p === "") throw new UsageError("invalid --watch: empty", command);
        const path = resolvePath(base, p);
        return inJail ? joinPath(v.chroot!, path) : path;
      })),
    ],
    ignore: v.watchIgnore,
    debounce: v.watchDebounce,
  };
}

/**
 * Checks a watch at start: each path exists, and what it watches fits in
 * the inotify watches this user has free.
 * @throws {UsageError} naming the path, or the counts and the setting.
 */
export function checkWatch(watch: WatchSettings, command: string): void {
  const libc = getLibc();
  for (const path of watch.paths) {
    try {
      libc.fileIdAt(path);
    } catch (error) {
      throw new UsageError(
        `--watch ${path}: ${
          (error as { code?: string }).code === "ENOENT"
            ? "no such file or directory"
            : (error as Error).message
        }`,
        command,
      );
    }
  }
  const { limit, free, setting } = inotifyLimit();
  const roots = watchedRoots(watch, free);
  const needed = roots.reduce((n, r) => n + r.watched.length, 0);
  if (needed <= free) return;
  const used = limit - free;
  throw new UsageError(
    `--watch: more than ${free} directories to watch, but ${setting} is ${limit}${
      used > 0 ? ` (${used} in use)` : ""
    }: watch fewer paths, ignore some with --watch-ignore, or raise ${setting}`,
    command,
  );
}
