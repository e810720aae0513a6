/**
 * A small logger for daemons: timestamped lines with levels, appended to a
 * file, rotated by size (rename and reopen, like Python's
 * `RotatingFileHandler`), reopened on a signal for an external logrotate.
 *
 * Each line is one `write(2)` to a file opened with `O_APPEND`, made before
 * the call returns: a line is never split, and none is lost to a rotation or
 * to the process exiting. The path is made absolute when the logger is
 * created, so a logger made before `daemonize()` (which changes directory)
 * keeps writing to, and reopening, the same file.
 *
 * One process writes a rotating file; several processes may share a file
 * that is not rotated by them.
 *
 * @module
 */
import { getLibc, SysCallError } from "../../ffi/libc.ts";
import { cwd, onSignal } from "../host.ts";
import type { SignalName } from "../options.ts";
import { resolvePath } from "../paths.ts";

/** Message levels, from least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Options of {@link Logger}. */
export interface LoggerOptions {
  /**
   * Rotate when the file would grow past this many bytes; 0 never rotates.
   * @default {0}
   */
  maxBytes?: number;
  /**
   * Rotated files kept (`app.log.1` is the newest); 0 truncates instead.
   * @default {5}
   */
  backups?: number;
  /**
   * Least severe level written.
   * @default {"info"}
   */
  level?: LogLevel;
  /**
   * Signal on which the file is reopened (after logrotate moved it); `null`
   * for none. Avoid `SIGUSR1` under Deno (see the README).
   * @default {"SIGUSR2"}
   */
  reopenOn?: SignalName | null;
  /**
   * Mode of a newly created file.
   * @default {0o644}
   */
  mode?: number;
}

function format(part: unknown): string {
  if (typeof part === "string") return part;
  if (part instanceof Error) return part.stack ?? `${part.name}: ${part.message}`;
  try {
    return JSON.stringify(part) ?? String(part);
  } catch {
    return String(part);
  }
}

/**
 * Writes timestamped, levelled lines to a file.
 *
 * @example A rotating log
 * ```ts
 * import { Logger } from "./logger.ts";
 *
 * const log = new Logger("/tmp/example-daemon.log", { maxBytes: 1_000_000, backups: 3 });
 * log.info("started", { pid: 42 });
 * log.close();
 * ```
 */
export class Logger {
  /** The file's absolute path. */
  readonly path: string;
  readonly #maxBytes: number;
  readonly #backups: number;
  readonly #level: number;
  readonly #mode: number;
  readonly #encoder = new TextEncoder();
  readonly #stopListening: (() => void) | undefined;
  #fd: number | undefined;
  #size = 0;

  /** Opens (creating if needed) the log file at `path`. */
  constructor(path: string, options: LoggerOptions = {}) {
    this.path = resolvePath(cwd(), path);
    this.#maxBytes = options.maxBytes ?? 0;
    this.#backups = options.backups ?? 5;
    this.#level = rank[options.level ?? "info"];
    this.#mode = options.mode ?? 0o644;
    if (!(this.#maxBytes >= 0) || !Number.isInteger(this.#backups) || this.#backups < 0) {
      throw new RangeError("Cannot create logger: maxBytes and backups must be >= 0");
    }
    if (this.#level === undefined) {
      throw new RangeError(`Cannot create logger: unknown level ${options.level}`);
    }
    this.#open();
    const signal = options.reopenOn === undefined ? "SIGUSR2" : options.reopenOn;
    this.#stopListening = signal ? onSignal(signal, () => this.reopen()) : undefined;
  }

  #open(): void {
    const libc = getLibc();
    const c = libc.constants;
    this.#fd = libc.open(this.path, c.O_WRONLY | c.O_CREAT | c.O_APPEND | c.O_CLOEXEC, this.#mode);
    this.#size = libc.fileIdOf(this.#fd).size;
  }

  /** Writes a `debug` line. */
  debug(...parts: unknown[]): void {
    this.log("debug", ...parts);
  }
  /** Writes an `info` line. */
  info(...parts: unknown[]): void {
    this.log("info", ...parts);
  }
  /** Writes a `warn` line. */
  warn(...parts: unknown[]): void {
    this.log("warn", ...parts);
  }
  /** Writes an `error` line. */
  error(...parts: unknown[]): void {
    this.log("error", ...parts);
  }

  /** Writes one line at `level`: timestamp, level, the parts joined by spaces. */
  log(level: LogLevel, ...parts: unknown[]): void {
    if (rank[level] < this.#level) return;
    const text = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${
      parts.map(format).join(" ")
    }\n`;
    this.write(this.#encoder.encode(text));
  }

  /** Appends `bytes` (one or more whole lines) in one write, rotating first if due. */
  write(bytes: Uint8Array): void {
    if (this.#fd === undefined) throw new Error(`Cannot write: logger for ${this.path} is closed`);
    if (this.#maxBytes > 0 && this.#size > 0 && this.#size + bytes.length > this.#maxBytes) {
      this.rotate();
    }
    getLibc().writeAll(this.#fd!, bytes);
    this.#size += bytes.length;
  }

  /** Renames the file to `.1` (older ones up one number) and starts a new one. */
  rotate(): void {
    const libc = getLibc();
    if (this.#backups === 0) {
      libc.truncate(this.#fd!, 0);
      this.#size = 0;
      return;
    }
    for (let i = this.#backups - 1; i >= 1; i--) {
      try {
        libc.rename(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      } catch (error) {
        if (!(error instanceof SysCallError && error.code === "ENOENT")) throw error;
      }
    }
    libc.rename(this.path, `${this.path}.1`);
    this.reopen();
  }

  /**
   * Closes and opens the path again: after an external logrotate renamed
   * the file, lines go to the new one. If the file can't be opened, the old
   * descriptor is kept and the reason goes to stderr.
   */
  reopen(): void {
    const old = this.#fd;
    try {
      this.#open();
    } catch (error) {
      this.#fd = old;
      console.error(`logger: cannot reopen ${this.path}: ${(error as Error).message}`);
      return;
    }
    if (old !== undefined) getLibc().close(old);
  }

  /** Closes the file and stops listening for the reopen signal. */
  close(): void {
    this.#stopListening?.();
    if (this.#fd !== undefined) getLibc().close(this.#fd);
    this.#fd = undefined;
  }
}
