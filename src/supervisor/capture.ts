/**
 * Output capture: a supervised program's standard output and error come
 * through pipes (`output_pipe.ts`), which a keeper process holds as well
 * (`output_keeper.ts`), and go a whole line at a time to its log files
 * (rotated by `LogFile`), beside the supervisor's own lines.
 *
 * @module
 */
import { type FileAction, getLibc } from "../../ffi/libc.ts";
import { onSignal } from "../host.ts";
import { logLine } from "./line_cutter.ts";
import { LogFile } from "./log_file.ts";
import { type KeeperRecord, OutputKeeper, type StreamFds } from "./output_keeper.ts";
import { OutputPipe } from "./output_pipe.ts";
import type { SupervisedProgram, Supervision } from "./plan.ts";

/** How long the end of a run waits for its last output (ms). */
const LAST_OUTPUT_WAIT = 200;

/** A program's log files, for all of its runs. */
export class OutputCapture {
  readonly #program: SupervisedProgram;
  readonly #time: boolean;
  readonly #logs = new Map<string, LogFile>();
  readonly #active = new Set<RunOutput>();
  #listening = false;
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
   * The pipes of one run, and their keeper: captured streams are cut into
   * lines for this run alone (a process the last run left may still
   * write); the others are ours, inherited.
   */
  run(): RunOutput {
    const libc = getLibc();
    const reads: Partial<Record<Stream, number>> = {};
    const writes: number[] = [];
    const actions: FileAction[] = [];
    for (const [stream, fd] of [["stdout", 1], ["stderr", 2]] as const) {
      if (this.#program[stream] === undefined) continue;
      const [read, write] = libc.pipe();
      reads[stream] = read;
      writes.push(write);
      actions.push({ dup2: { from: write, to: fd } });
    }
    const keeper = writes.length ? OutputKeeper.start(reads, this.#program.name) : undefined;
    return this.#track(new RunOutput(this, this.#pipes(reads), writes, actions, keeper));
  }

  /** The output of a run an earlier supervisor started, taken over from its keeper. */
  adopt(fds: StreamFds, keeper: OutputKeeper | undefined): RunOutput {
    return this.#track(new RunOutput(this, this.#pipes(fds), [], [], keeper));
  }

  #pipes(fds: StreamFds): OutputPipe[] {
    const pipes: OutputPipe[] = [];
    // Handled before any pipe may raise it: its default action ends the process.
    if (fds.stdout !== undefined || fds.stderr !== undefined) this.#listen();
    for (const stream of ["stdout", "stderr"] as const) {
      const fd = fds[stream];
      const path = this.#program[stream];
      if (fd === undefined || path === undefined) continue;
      pipes.push(new OutputPipe(fd, this.#logs.get(path)!, this.#time));
    }
    return pipes;
  }

  /** SIGIO says a pipe has something: every run's pipes are emptied. */
  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    onSignal("SIGIO", () => {
      for (const active of this.#active) active.drain();
    });
  }

  #track(run: RunOutput): RunOutput {
    this.#active.add(run);
    return run;
  }

  /** A run's output is all written: it is no longer read. */
  forget(run: RunOutput): void {
    this.#active.delete(run);
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
  readonly pipes: readonly OutputPipe[];
  #writes: number[];
  #keeper: OutputKeeper | undefined;
  /** What the spawn does to put the pipes on the program's standard output and error. */
  readonly actions: readonly FileAction[];

  constructor(
    capture: OutputCapture,
    pipes: OutputPipe[],
    writes: number[],
    actions: FileAction[],
    keeper: OutputKeeper | undefined,
  ) {
    this.#capture = capture;
    this.pipes = pipes;
    this.#writes = writes;
    this.actions = actions;
    this.#keeper = keeper;
  }

  /** Where a new supervisor finds this run's pipes, if they are kept. */
  get keeper(): KeeperRecord | undefined {
    return this.#keeper?.record;
  }

  /** The program runs: its ends of the pipes are closed here, and ours read. */
  started(): void {
    for (const fd of this.#writes) getLibc().close(fd);
    this.#writes = [];
    this.drain();
  }

  /** The program did not start: the pipes are closed. */
  abandon(): void {
    for (const fd of this.#writes) getLibc().close(fd);
    this.#writes = [];
    this.#close();
  }

  /** Writes every whole line waiting in the pipes. */
  drain(flush = false): void {
    for (const pipe of this.pipes) this.#capture.logging(() => pipe.drain(flush));
  }

  /** Whether every pipe reached its end. */
  get ended(): boolean {
    return this.pipes.every((pipe) => pipe.ended);
  }

  /** Writes the run's output up to its last line, unless a process it left keeps the pipe. */
  async end(): Promise<void> {
    const deadline = Date.now() + LAST_OUTPUT_WAIT;
    for (;;) {
      this.drain();
      if (this.ended || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    this.drain(true);
    this.#close();
  }

  #close(): void {
    this.#capture.forget(this);
    for (const pipe of this.pipes) pipe.close();
    this.#keeper?.end();
    this.#keeper = undefined;
  }
}

type Stream = "stdout" | "stderr";
