/**
 * What a watch for changes covers: the watched paths, what is ignored under
 * them (glob patterns), and the directories that take an inotify watch
 * each. The start checks that they fit in the host's inotify limit; the
 * supervisor watches exactly them (see `watch.ts`).
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { effectiveUid, isDeno, readDirectory, readTextFileIfAny } from "../host.ts";
import { readStatus } from "../process/proc.ts";

/** What is always ignored, as a path segment anywhere under a watched path. */
export const DEFAULT_IGNORES: readonly string[] = [".git", "node_modules"];

/**
 * The variable that stands for the host's inotify limit (a number), for
 * tests: the watches already in use are then not counted.
 */
export const LIMIT_VARIABLE = "DAEMONIZE_TEST_INOTIFY_LIMIT";

/** A watch for changes that restart the program. */
export interface WatchSettings {
  /** Absolute paths of directories (watched with all below them) or files. */
  readonly paths: readonly string[];
  /** Glob patterns of what is ignored, besides {@link DEFAULT_IGNORES}. */
  readonly ignore: readonly string[];
  /** Quiet time (ms) after the last change before the restart. */
  readonly debounce: number;
}

/**
 * Checks a watch given to the library (the command makes its own): paths
 * absolute, ignore patterns strings, the debounce milliseconds; `bad` throws.
 */
export function checkWatchSettings(
  watch: WatchSettings,
  bad: (field: string, expected: string, value: unknown, range?: boolean) => never,
): void {
  if (typeof watch !== "object" || watch === null) {
    bad("supervise.watch", "an object with paths, ignore and debounce", watch);
  }
  const { paths, ignore, debounce } = watch;
  const texts = (list: unknown, absolute: boolean) =>
    Array.isArray(list) &&
    list.every((p) =>
      typeof p === "string" && p !== "" && !p.includes("\0") && (!absolute || p.startsWith("/"))
    );
  if (!texts(paths, true) || paths.length === 0) {
    bad("supervise.watch.paths", "absolute paths (a non-empty array)", paths);
  }
  if (!texts(ignore, false)) bad("supervise.watch.ignore", "glob patterns (an array)", ignore);
  if (typeof debounce !== "number" || !(debounce >= 0) || debounce === Infinity) {
    bad(
      "supervise.watch.debounce",
      "a finite number, 0 or more",
      debounce,
      typeof debounce === "number",
    );
  }
}

/** A glob as a regular expression: `*` and `?` within a segment, `**` across them. */
function globRegex(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      source += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether a path is ignored, given relative to its watched path: a glob
 * without `/` (`*.log`, `node_modules`) matches any segment of it; one with
 * `/` (`build/**`, `src/gen`) matches it or a directory it is under.
 */
export function ignoreMatcher(globs: readonly string[]): (relative: string) => boolean {
  const all = [...DEFAULT_IGNORES, ...globs];
  const segment = all.filter((g) => !g.includes("/")).map(globRegex);
  const whole = all.filter((g) => g.includes("/")).map((g) =>
    globRegex(g.replace(/^\/+|\/+$/g, ""))
  );
  return (relative) => {
    if (relative === "") return false;
    const parts = relative.split("/");
    if (segment.some((r) => parts.some((p) => r.test(p)))) return true;
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      if (whole.some((r) => r.test(prefix))) return true;
    }
    return false;
  };
}

/** The subdirectories of `dir` (symbolic links not followed); none if it can't be read. */
function subdirectories(dir: string): string[] {
  try {
    if (isDeno) {
      return [...Deno.readDirSync(dir)].filter((e) => e.isDirectory).map((e) => e.name);
    }
    const fs = (import.meta as unknown as {
      require(id: string): {
        readdirSync(
          path: string,
          o: { withFileTypes: true },
        ): { name: string; isDirectory(): boolean }[];
      };
    }).require("node:fs");
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) =>
      e.name
    );
  } catch {
    return [];
  }
}

/** A watched path with what is watched of it. */
export interface WatchedRoot {
  readonly root: string;
  /** Whether it is a directory (else a file, or nothing). */
  readonly isDirectory: boolean;
  /** Absolute paths, `root` first: each takes one inotify watch. */
  readonly watched: string[];
}

/**
 * What is watched of `settings`: each path's directories not ignored (or
 * the file itself); stops counting past `most` watches.
 */
export function watchedRoots(settings: WatchSettings, most = Infinity): WatchedRoot[] {
  const ignored = ignoreMatcher(settings.ignore);
  const libc = getLibc();
  const roots: WatchedRoot[] = [];
  let total = 0;
  for (const root of settings.paths) {
    const watched = [root];
    total++;
    let isDirectory = false;
    try {
      isDirectory = (libc.fileIdAt(root).mode & 0o170000) === 0o040000;
    } catch {
      // Gone: watched as nothing more than itself, which fails to watch.
    }
    for (let i = 0; isDirectory && i < watched.length && total <= most; i++) {
      for (const name of subdirectories(watched[i]!)) {
        const path = `${watched[i]}/${name}`;
        if (ignored(path.slice(root.length + 1))) continue;
        watched.push(path);
        if (++total > most) break;
      }
    }
    roots.push({ root, isDirectory, watched });
  }
  return roots;
}

/** The inotify watches this user has in use now (every instance's, as `/proc` shows them). */
export function watchesInUse(): number {
  const libc = getLibc();
  const uid = effectiveUid();
  let used = 0;
  for (const name of readDirectory("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let fds: string[];
    try {
      fds = readDirectory(`/proc/${name}/fd`);
    } catch {
      continue;
    }
    if (readStatus(Number(name))?.uid !== uid) continue;
    for (const fd of fds) {
      if (libc.readlink(`/proc/${name}/fd/${fd}`) !== "anon_inode:inotify") continue;
      const info = readTextFileIfAny(`/proc/${name}/fdinfo/${fd}`) ?? "";
      used += info.split("\n").filter((line) => line.startsWith("inotify wd:")).length;
    }
  }
  return used;
}

/** The host's inotify limit: how many watches a user may have, and how many are free. */
export function inotifyLimit(): { limit: number; free: number; setting: string } {
  const seam = getLibc().getenv(LIMIT_VARIABLE);
  if (seam !== undefined && /^\d+$/.test(seam)) {
    return { limit: Number(seam), free: Number(seam), setting: LIMIT_VARIABLE };
  }
  const text = readTextFileIfAny("/proc/sys/fs/inotify/max_user_watches")?.trim() ?? "";
  const limit = /^\d+$/.test(text) ? Number(text) : Infinity;
  let used = 0;
  try {
    used = watchesInUse();
  } catch {
    // Not countable: the limit itself is what is known.
  }
  return { limit, free: Math.max(0, limit - used), setting: "fs.inotify.max_user_watches" };
}
