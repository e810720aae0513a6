/**
 * The watch for changes: the runtime's own file watcher (inotify, no
 * polling: idle, it costs no CPU) on each directory of the watched paths
 * that is not ignored, and a debounce: a burst of changes is said once,
 * when the paths have been quiet for the debounce time.
 *
 * After it has said a burst, it says nothing more until it is armed again
 * (the supervisor does so once the old run is gone, right before the new
 * one starts): changes meanwhile are not a second burst, since the new run
 * reads the files as they are when it starts. Arming it walks the paths
 * again, so that directories made since are watched too.
 *
 * @module
 */
import { isDeno } from "../host.ts";
import { ignoreMatcher, watchedRoots, type WatchSettings } from "./watch_paths.ts";

/** One runtime watcher, closed by its `close`. */
interface Closable {
  close(): void;
}

interface NodeWatch {
  watch(path: string, listener: (event: string, name: string | null) => void): Closable & {
    on(event: "error", listener: (error: Error) => void): void;
  };
}

/** What a burst was: how many changes, and the first changed path. */
export interface Burst {
  readonly changes: number;
  readonly first: string;
}

/** A watch for changes under some paths (see the module's notes). */
export class ChangeWatch {
  readonly #settings: WatchSettings;
  readonly #burst: (burst: Burst) => void;
  readonly #failed: (message: string) => void;
  readonly #ignored: (relative: string) => boolean;
  #watchers: Closable[] = [];
  #armed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #changes = 0;
  #first = "";
  /** Inotify watches in use (one per watched directory or file). */
  watching = 0;

  /**
   * A watch (not started: see {@link arm}) that calls `burst` after each
   * burst of changes, and `failed` when the paths can't be watched.
   */
  constructor(
    settings: WatchSettings,
    burst: (burst: Burst) => void,
    failed: (message: string) => void,
  ) {
    this.#settings = settings;
    this.#burst = burst;
    this.#failed = failed;
    this.#ignored = ignoreMatcher(settings.ignore);
  }

  /** Watches the paths (walked anew) and says the next burst. */
  arm(): void {
    const old = this.#watchers;
    this.#watchers = [];
    this.watching = 0;
    try {
      for (const { root, isDirectory, watched } of watchedRoots(this.#settings)) {
        this.#watchers.push(...this.#watch(root, isDirectory, watched));
        this.watching += watched.length;
      }
    } catch (error) {
      this.#failed(`cannot watch for changes: ${(error as Error).message}`);
    }
    for (const watcher of old) watcher.close();
    this.#changes = 0;
    this.#armed = true;
  }

  /** Ends the watch. */
  close(): void {
    this.#armed = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
  }

  /** A change at `path` (absolute) under `root`. */
  #changed(root: string, path: string): void {
    if (!this.#armed) return;
    if (path !== root && this.#ignored(path.slice(root.length + 1))) return;
    if (this.#changes++ === 0) this.#first = path;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#armed = false;
      this.#burst({ changes: this.#changes, first: this.#first });
    }, this.#settings.debounce);
  }

  /** Runtime watchers of `paths` (non-recursive: each directory is listed) under `root`. */
  #watch(root: string, isDirectory: boolean, paths: readonly string[]): Closable[] {
    if (isDeno) {
      const watcher = Deno.watchFs([...paths], { recursive: false });
      (async () => {
        for await (const event of watcher) {
          // `access` is a file closed after writing: its writes were changes already.
          if (event.kind === "access") continue;
          for (const path of event.paths) this.#changed(root, path);
        }
      })().catch((error) => this.#failed(`watching for changes failed: ${error.message}`));
      return [watcher];
    }
    const fs = (import.meta as unknown as { require(id: string): NodeWatch }).require("node:fs");
    return paths.map((dir) => {
      // Bun names what changed relative to the directory watched (a file's own name for a file).
      const watcher = fs.watch(
        dir,
        (_, name) => this.#changed(root, isDirectory && name ? `${dir}/${name}` : dir),
      );
      watcher.on("error", (error) => this.#failed(`watching for changes failed: ${error.message}`));
      return watcher;
    });
  }
}
