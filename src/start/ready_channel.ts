/**
 * The readiness handshake between a starter and its daemon: a pipe the
 * daemon writes one-line messages on.
 *
 * - `PID <n>`: the daemon process has started (the starter now knows whom to
 *   stop if it never becomes ready);
 * - `READY <n>`: set-up is done, the starter may exit 0;
 * - `ERR <json>`: a step failed; the starter prints it and exits 1;
 * - `EXEC`: the daemon is about to become another program;
 * - `PROGRAM <n>`: the daemon, a supervisor, started its program as pid n:
 *   the starter now judges it (grace, readiness) while the channel stays open;
 * - `EXIT <code>`: the daemon exited before it was ready (or, written by the
 *   watching shell, the program it became ended: 128 + N for signal N);
 * - `KILLED <n>`: a supervisor's program was killed by signal n;
 *
 * End of file without `READY` means the daemon is gone.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { DaemonError, type Step } from "../errors.ts";

/** The descriptor the daemon reports on: above every preserved one. */
export function readyDescriptor(options: { readonly filesPreserve: readonly number[] }): number {
  return Math.max(3, ...options.filesPreserve.map((fd) => fd + 1));
}

/** A message from the daemon. */
export type ReadyMessage =
  | { readonly kind: "pid"; readonly pid: number }
  | { readonly kind: "ready"; readonly pid: number }
  | { readonly kind: "exec" }
  | { readonly kind: "program"; readonly pid: number }
  | { readonly kind: "exit"; readonly code: number }
  | { readonly kind: "killed"; readonly signal: number }
  | { readonly kind: "error"; readonly error: DaemonError };

/** Parses one line of the handshake; undefined for anything else. */
export function parseMessage(line: string): ReadyMessage | undefined {
  const space = line.indexOf(" ");
  const word = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? "" : line.slice(space + 1);
  switch (word) {
    case "PID":
    case "READY":
    case "PROGRAM": {
      const pid = Number(rest);
      if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
      return { kind: word === "PID" ? "pid" : word === "READY" ? "ready" : "program", pid };
    }
    case "EXEC":
      return { kind: "exec" };
    case "EXIT":
      return { kind: "exit", code: Number(rest) };
    case "KILLED":
      return { kind: "killed", signal: Number(rest) };
    case "ERR": {
      try {
        const { step, message, code } = JSON.parse(rest);
        return {
          kind: "error",
          error: new DaemonError(step as Step, String(message), {
            code: typeof code === "string" ? code : undefined,
          }),
        };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The daemon's end of the handshake. */
export class ReadyChannel {
  #fd: number | undefined;

  /** The channel on descriptor `fd`, kept from any program the daemon runs. */
  constructor(fd: number) {
    this.#fd = fd;
    getLibc().setCloseOnExec(fd);
  }

  /** Whether the starter is still waiting. */
  get open(): boolean {
    return this.#fd !== undefined;
  }

  #send(line: string): void {
    if (this.#fd === undefined) return;
    try {
      getLibc().writeAll(this.#fd, line + "\n");
    } catch {
      // The starter is gone (killed, or gave up): nobody left to tell.
      this.close();
    }
  }

  /** Says the daemon process runs, as `pid`. */
  started(pid: number): void {
    this.#send(`PID ${pid}`);
  }

  /** Says the daemon is ready, and hangs up. */
  ready(pid: number): void {
    this.#send(`READY ${pid}`);
    this.close();
  }

  /**
   * Reports a failure. The channel stays open until the process exits, so the
   * starter, reading to end of file, knows the daemon is gone.
   */
  failed(error: DaemonError): void {
    this.#send(
      "ERR " +
        JSON.stringify({
          step: error.step,
          message: error.message,
          code: error.code,
        }),
    );
  }

  /** Reports an exit before readiness. */
  exited(code: number): void {
    this.#send(`EXIT ${code}`);
  }

  /** Says the supervisor started its program as `pid`; the starter judges it now. */
  programStarted(pid: number): void {
    this.#send(`PROGRAM ${pid}`);
  }

  /** Whether the starter stopped listening (it judged the start a success and left). */
  starterGone(): boolean {
    return this.#fd === undefined || getLibc().readerGone(this.#fd);
  }

  /** Reports that a supervisor's program was killed by signal `signal` before readiness. */
  killed(signal: number): void {
    this.#send(`KILLED ${signal}`);
  }

  /** Says the daemon is about to execute another program. */
  execing(): void {
    this.#send("EXEC");
  }

  /**
   * Leaves the channel open across an exec of this process (see
   * `supervisor/handoff.ts`); returns its descriptor, or undefined when the
   * starter no longer listens.
   */
  handOver(): number | undefined {
    if (this.#fd !== undefined) getLibc().setCloseOnExec(this.#fd, false);
    return this.#fd;
  }

  /** Takes back a hand-over whose exec failed. */
  keepHeld(): void {
    if (this.#fd !== undefined) getLibc().setCloseOnExec(this.#fd);
  }

  /** Hangs up. */
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      getLibc().close(fd);
    } catch {
      // Already closed: nothing to do.
    }
  }
}
