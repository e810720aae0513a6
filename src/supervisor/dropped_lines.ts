/**
 * The count of a log's lines that could not be written (a full disk, a
 * read-only file system, a directory gone): counts and times only, never the
 * lines themselves, so an outage costs no memory however long it lasts. Once
 * the log can be written again, it first gets one line saying what was lost.
 *
 * @module
 */

/** One outage's lost lines, and the total over the log's life. */
export class DroppedLines {
  /** Lines lost since the log was opened. */
  totalLines = 0;
  /** Bytes lost since the log was opened. */
  totalBytes = 0;
  #lines = 0;
  #bytes = 0;
  #first = 0;
  #last = 0;
  #reason = "";

  /** Whether lines were lost that the log has not been told of yet. */
  get pending(): boolean {
    return this.#lines > 0 || this.#bytes > 0;
  }

  /**
   * Counts `lines` lines (`bytes` bytes) that could not be written because of
   * `error`; returns whether they begin an outage.
   */
  add(lines: number, bytes: number, error: unknown): boolean {
    const now = Date.now();
    const first = !this.pending;
    if (first) {
      this.#first = now;
      this.#reason = reasonOf(error);
    }
    this.#last = now;
    this.#lines += lines;
    this.#bytes += bytes;
    this.totalLines += lines;
    this.totalBytes += bytes;
    return first;
  }

  /** The line that tells the log what was lost (without its newline). */
  note(): string {
    const lines = this.#lines === 1 ? "1 line" : `${this.#lines} lines`;
    const bytes = this.#bytes === 1 ? "1 byte" : `${this.#bytes} bytes`;
    return `daemonize: ${lines} (${bytes}) could not be written between ` +
      `${isoSeconds(this.#first)} and ${isoSeconds(this.#last)} (${this.#reason})`;
  }

  /** The log was told: a next loss is a new outage. */
  told(): void {
    this.#lines = 0;
    this.#bytes = 0;
  }
}

/** An ISO 8601 time in UTC, to the second. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** What went wrong, in words: a system error's text without its code. */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/ \([A-Z][A-Z0-9]*\)$/, "");
}
