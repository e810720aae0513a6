/**
 * Output capture: a supervised program's standard output and error come
 * through pipes, are cut into lines and written to its log files (rotated
 * by `LogFile`), beside the supervisor's own lines.
 *
 * @module
 */
import { type FileAction, getLibc } from "../../ffi/libc.ts";
import { pipeChunks } from "../host.ts";
import { LineCutter, logLine } from "./line_cutter.ts";
import { LogFile } from "./log_file.ts";
import type { SupervisedProgram, Supervision } from "./plan.ts";

/** How long the end of a run waits for its last output (ms). */
const LAST_OUTPUT_WAIT = 200;

/** A program's log files, for all of its runs. */
export class OutputCapture {
  readonly #program: SupervisedProgram;
  readonly #time: boolean;
  readonly #logs = new Map<string, LogFile>();
  #failed = false;

  /** Opens the program's logs. */
  constructor(program: SupervisedProgram, supervision: Supervision) {
    this.#program = program;
    this.#time = !!supervision.logTime;
    for (const path of [program.stdout, program.stderr]) {
      if (path === undefined || this.#logs.has(path)) continue;
      this.#logs.set(
        path,
        new LogFile(path, {
          maxSize: supervision.logMaxSize,
          keep: supervision.logKeep,
          time: this.#time,
          onLoss: (error) =>
            this.#failedOnce(
              `cannot write ${path}: ${(error as Error).message}; ` +
                "the lines lost are counted, and said there once it can be written again",
            ),
        }),
      );
    }
  }

  /** Lines of the program's output (and ours) its logs could not take, since the start. */
  get droppedLines(): number {
    let lines = 0;
    for (const log of this.#logs.values()) lines += log.droppedLines;
    return lines;
  }

  /** A line of our own in the daemon's log (or on standard error). */
  say(text: string): void {
    const log = this.#program.stderr ?? this.#program.stdout;
    const line = `daemonize: ${text}`;
    if (log === undefined) console.error(line);
    else this.logging(() => logLine(this.#logs.get(log)!, line, this.#time));
  }

  /**
   * Runs a write to the logs. Lines a log cannot take (a full disk, a file
   * that can't be reopened) are counted there, and said there once it can
   * be written again; the first such trouble, or any other failure, is said
   * once on standard error, and the program runs on.
   */
  logging(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.#failedOnce(`cannot write the log: ${(error as Error).message}`);
    }
  }

  #failedOnce(text: string): void {
    if (this.#failed) return;
    this.#failed = true;
    console.error(`daemonize: ${text}`);
  }

  /**
   * The pipes of one run: captured streams are cut into lines for this run
   * alone (a process the last run left may still write); the others are
   * ours, inherited.
   */
  run(): RunOutput {
    const libc = getLibc();
    const pipes: [number, number][] = [];
    const cutters: LineCutter[] = [];
    const actions: FileAction[] = [];
    const { stdout, stderr } = this.#program;
    for (const [fd, path] of [[1, stdout], [2, stderr]] as const) {
      if (path === undefined) continue;
      const [read, write] = libc.pipe();
      pipes.push([read, write]);
      cutters.push(new LineCutter(this.#logs.get(path)!, this.#time));
      actions.push({ dup2: { from: write, to: fd } });
    }
    return new RunOutput(this, pipes, cutters, actions);
  }

  /** Opens the logs again (after an external rotation). */
  reopen(): void {
    for (const log of this.#logs.values()) {
      try {
        log.reopen();
      } catch (error) {
        console.error(`daemonize: cannot reopen ${log.path}: ${(error as Error).message}`);
      }
    }
  }

  /** Closes the logs. */
  close(): void {
    for (const log of this.#logs.values()) log.close();
  }
}

/** One run's captured streams, from its spawn to its last line. */
export class RunOutput {
  readonly #capture: OutputCapture;
  readonly #pipes: readonly [number, number][];
  readonly #cutters: readonly LineCutter[];
  #streams: Promise<void>[] = [];
  /** What the spawn does to put the pipes on the program's standard output and error. */
  readonly actions: readonly FileAction[];

  constructor(
    capture: OutputCapture,
    pipes: [number, number][],
    cutters: LineCutter[],
    actions: FileAction[],
  ) {
    this.#capture = capture;
    this.#pipes = pipes;
    this.#cutters = cutters;
    this.actions = actions;
  }

  /** The program runs: its ends of the pipes are closed here, and ours read. */
  started(): void {
    this.#streams = this.#pipes.map(([read, write], i) => {
      getLibc().close(write);
      return this.#drain(read, this.#cutters[i]!);
    });
  }

  /** The program did not start: the pipes are closed. */
  abandon(): void {
    const libc = getLibc();
    for (const [read, write] of this.#pipes) [read, write].forEach((fd) => libc.close(fd));
  }

  /** Writes the run's output up to its last line, unless a process it left keeps the pipe. */
  async end(): Promise<void> {
    await Promise.race([
      Promise.all(this.#streams),
      new Promise((r) => setTimeout(r, LAST_OUTPUT_WAIT)),
    ]);
    for (const cutter of this.#cutters) this.#capture.logging(() => cutter.end());
  }

  /** Reads a pipe into its log until its end (every writer closed it). */
  async #drain(fd: number, cutter: LineCutter): Promise<void> {
    try {
      for await (const chunk of pipeChunks(fd)) this.#capture.logging(() => cutter.push(chunk));
    } catch (error) {
      this.#capture.say(`cannot read the program's output: ${(error as Error).message}`);
    } finally {
      try {
        getLibc().close(fd);
      } catch {
        // Closed by the reader already.
      }
    }
  }
}
