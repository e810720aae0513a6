/**
 * One captured stream of a program: the reading end of its pipe, emptied
 * into its log a whole line at a time.
 *
 * Nothing is taken from the pipe before it is in the log: what waits there
 * is first seen (`tee(2)` into a pipe of our own), then moved into the file
 * by the kernel (`splice(2)`). A supervisor killed at any moment has every
 * line either in the log or still in the pipe, where the next supervisor
 * finds it (see `output_keeper.ts`): none lost, none written twice.
 *
 * The runtime is not asked to read the pipe (it would take what it reads);
 * the kernel sends `SIGIO` when something arrives, and the capture empties
 * its pipes then. A partial line waits in the pipe for its end.
 *
 * Where the system has no `tee`/`splice` (not Linux), the pipe is read and
 * cut into lines as it comes: the same log, without the guarantee.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { pid as ownPid } from "../host.ts";
import { LineCutter } from "./line_cutter.ts";
import type { LogFile } from "./log_file.ts";

/** The most bytes looked at in one step: a pipe's default capacity. */
const STEP = 64 * 1024;
/** A line longer than this is written in parts rather than waited for. */
const LONGEST_LINE = 60 * 1024;
const NEWLINE = 10;

/** One stream's pipe, from the program to its log. */
export class OutputPipe {
  /** The reading end. */
  readonly fd: number;
  readonly #log: LogFile;
  readonly #time: boolean;
  readonly #buffer = new Uint8Array(STEP);
  /** Our own pipe, where what waits in `fd` is seen without being taken. */
  #peek: [number, number] | undefined;
  /** Reading as it comes (no `tee` here): cut into lines in memory. */
  #cutter: LineCutter | undefined;
  #ended = false;

  /**
   * Takes over reading end `fd` (closed by {@link close}); its lines go to
   * `log`, with the time when `time` is set.
   */
  constructor(fd: number, log: LogFile, time: boolean) {
    this.fd = fd;
    this.#log = log;
    this.#time = time;
    const libc = getLibc();
    try {
      this.#peek = libc.pipe();
      for (const end of this.#peek) libc.neverWait(end);
    } catch {
      this.#peek = undefined;
    }
    libc.signalOnInput(fd, ownPid());
  }

  /** Whether the pipe reached its end: every writer closed it, all of it is in the log. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Moves every whole line waiting in the pipe into the log (and, with
   * `flush`, a last partial line, a newline added). Never waits.
   * @throws what writing the log threw; the lines concerned are dropped.
   */
  drain(flush = false): void {
    if (this.#ended) return;
    if (this.#peek) {
      try {
        this.#drainPeeking(flush);
        return;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== "ENOSYS" && code !== "EINVAL") throw error;
        // No tee here (or not for this pipe): read as it comes.
        this.#closePeek();
      }
    }
    this.#drainReading(flush);
  }

  #drainPeeking(flush: boolean): void {
    const libc = getLibc();
    const [peekRead, peekWrite] = this.#peek!;
    let failure: unknown;
    for (;;) {
      const n = libc.peekPipe(this.fd, peekWrite, this.#buffer.length);
      if (n === 0) this.#ended = true;
      if (!n) break;
      let got = 0;
      while (got < n) got += libc.read(peekRead, this.#buffer.subarray(got, n));
      const seen = this.#buffer.subarray(0, n);
      const last = seen.lastIndexOf(NEWLINE);
      if (last < 0 && !flush && n < LONGEST_LINE) break;
      const whole = last < 0 ? n : last + 1;
      // A partial line at the end of a flush is ended here; so is a line
      // too long to wait for. Lines the log refused are gone from the pipe:
      // the rest is moved all the same.
      try {
        this.#log.moveFrom(this.fd, seen.subarray(0, whole), this.#time, last < 0);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  #drainReading(flush: boolean): void {
    const libc = getLibc();
    this.#cutter ??= new LineCutter(this.#log, this.#time);
    for (;;) {
      let n: number;
      try {
        n = libc.read(this.fd, this.#buffer);
      } catch (error) {
        if ((error as { code?: string }).code === "EAGAIN") break;
        throw error;
      }
      if (n === 0) {
        this.#ended = true;
        break;
      }
      this.#cutter.push(this.#buffer.subarray(0, n));
    }
    if (flush || this.#ended) this.#cutter.end();
  }

  #closePeek(): void {
    if (!this.#peek) return;
    for (const end of this.#peek) getLibc().close(end);
    this.#peek = undefined;
  }

  /** Stops reading: the pipe is closed here (a keeper may still hold it). */
  close(): void {
    this.#closePeek();
    try {
      getLibc().close(this.fd);
    } catch {
      // Closed already.
    }
  }
}
