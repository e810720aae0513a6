/**
 * Cuts a stream's bytes into whole lines for a {@link LogFile}, and writes
 * the supervisor's own lines: whole lines only, each with a time in front
 * when asked.
 *
 * @module
 */
import type { LogFile } from "./log_file.ts";

const NEWLINE = 10;
/** A line longer than this is written in parts rather than held. */
const LONGEST_LINE = 64 * 1024;
const encoder = new TextEncoder();

/**
 * Cuts one stream's bytes into whole lines for a {@link LogFile}: a partial
 * line waits for its end (up to 64 KiB), and what is left at the end of the
 * stream is written with a newline added.
 */
export class LineCutter {
  readonly #log: LogFile;
  readonly #time: boolean;
  #pending: Uint8Array = new Uint8Array(0);

  /** Lines go to `log`, each prefixed with the time when `time` is set. */
  constructor(log: LogFile, time = false) {
    this.#log = log;
    this.#time = time;
  }

  /** Takes the next chunk of the stream. */
  push(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.#pending.length) {
      const joined = new Uint8Array(this.#pending.length + chunk.length);
      joined.set(this.#pending);
      joined.set(chunk, this.#pending.length);
      bytes = joined;
    }
    const last = bytes.lastIndexOf(NEWLINE);
    if (last < 0 && bytes.length < LONGEST_LINE) {
      this.#pending = bytes.slice();
      return;
    }
    const whole = last < 0 ? bytes.length : last + 1;
    this.#pending = bytes.slice(whole);
    this.#emit(bytes.subarray(0, whole), last < 0);
  }

  /** Writes what is left of the stream (a last line without a newline). */
  end(): void {
    if (!this.#pending.length) return;
    const rest = this.#pending;
    this.#pending = new Uint8Array(0);
    this.#emit(rest, true);
  }

  #emit(bytes: Uint8Array, addNewline: boolean): void {
    if (!this.#time) {
      this.#log.write(addNewline ? withNewline(bytes) : bytes);
      return;
    }
    const stamp = encoder.encode(new Date().toISOString() + " ");
    const lines: Uint8Array[] = [];
    let start = 0;
    while (start < bytes.length) {
      const end = bytes.indexOf(NEWLINE, start);
      const stop = end < 0 ? bytes.length : end + 1;
      lines.push(stamp, bytes.subarray(start, stop));
      if (end < 0) lines.push(new Uint8Array([NEWLINE]));
      start = stop;
    }
    this.#log.write(concat(lines));
  }
}

/** Writes one line of text (a supervisor's own message) to `log`. */
export function logLine(log: LogFile, text: string, time = false): void {
  const stamp = time ? new Date().toISOString() + " " : "";
  log.write(encoder.encode(`${stamp}${text}\n`));
}

function withNewline(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = NEWLINE;
  return out;
}

/** The bytes of `parts`, one after another. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
