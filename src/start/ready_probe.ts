/**
 * Readiness for programs that can't say so themselves: a start counts as a
 * success once a process of the daemon listens on a TCP port (read from
 * `/proc`, no connection made), once a line it writes matches a pattern, or
 * once a command exits 0. Each check is cheap and never blocks: the starter
 * polls it while it watches the program.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { readEnviron } from "../process/proc.ts";
import { isMarker } from "./relaunch.ts";

/** What proves a program ready (one of them). */
export interface ReadyCheck {
  /** Ready once a process of the daemon listens on this TCP port. */
  readonly port?: number | undefined;
  /** Ready once a line the program writes to its log matches this regular expression. */
  readonly log?: string | undefined;
  /** Ready once this shell command exits 0 (tried again 100 ms after each failure). */
  readonly command?: string | undefined;
}

/** Says what `check` waits for, for messages. */
export function describeCheck(check: ReadyCheck): string {
  if (check.port !== undefined) return `listening on port ${check.port}`;
  if (check.log !== undefined) return `a log line matching /${check.log}/`;
  return `'${check.command}' exiting 0`;
}

/** TCP ports in the LISTEN state and their socket inodes, from `/proc/net/tcp{,6}`. */
export function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const libc = getLibc();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = libc.readProcText(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A") continue;
      const local = f[1]!;
      if (parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) inodes.add(f[9]!);
    }
  }
  return inodes;
}

/** Whether one of `pids` holds a socket listening on `port`. */
export function listensOn(port: number, pids: readonly number[]): boolean {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return false;
  const libc = getLibc();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = libc.listDirectory(`/proc/${pid}/fd`) ?? [];
    } catch {
      continue; // Ended meanwhile, or not ours to look at.
    }
    for (const fd of fds) {
      const target = libc.readlink(`/proc/${pid}/fd/${fd}`);
      if (target?.startsWith("socket:[") && inodes.has(target.slice(8, -1))) return true;
    }
  }
  return false;
}

/** A readiness check being polled. */
export class ReadyProbe {
  readonly check: ReadyCheck;
  readonly #pattern: RegExp | undefined;
  /** For a log check: where each log was read up to, and its unfinished line. */
  readonly #logs: Map<string, { offset: number; pending: string }>;
  /** For a command check: the attempt running, and when the next may start. */
  #attempt: number | undefined;
  #nextAttempt = 0;

  /** Polls `check`; a log check reads `logs` (path → size when the start began). */
  constructor(check: ReadyCheck, logs: ReadonlyMap<string, number> = new Map()) {
    this.check = check;
    this.#pattern = check.log === undefined ? undefined : new RegExp(check.log);
    this.#logs = new Map([...logs].map(([path, offset]) => [path, { offset, pending: "" }]));
  }

  /** Whether the program is ready now; `pids` lists the daemon's processes. */
  poll(pids: () => readonly number[]): boolean {
    if (this.check.port !== undefined) return listensOn(this.check.port, pids());
    if (this.#pattern) return this.#logMatches();
    return this.#commandSucceeded();
  }

  #logMatches(): boolean {
    const libc = getLibc();
    const buffer = new Uint8Array(64 * 1024);
    for (const [path, state] of this.#logs) {
      let fd: number;
      try {
        fd = libc.open(path, libc.constants.O_CLOEXEC);
      } catch {
        continue;
      }
      try {
        const decoder = new TextDecoder();
        for (;;) {
          const n = libc.pread(fd, buffer, state.offset);
          if (n <= 0) break;
          state.offset += n;
          const lines = (state.pending + decoder.decode(buffer.subarray(0, n), { stream: true }))
            .split("\n");
          state.pending = lines.pop()!;
          if (lines.some((line) => this.#pattern!.test(line))) return true;
        }
      } finally {
        libc.close(fd);
      }
    }
    return false;
  }

  #commandSucceeded(): boolean {
    const libc = getLibc();
    if (this.#attempt !== undefined) {
      const ended = libc.waitpid(this.#attempt, true);
      if (!ended) return false;
      this.#attempt = undefined;
      if ("code" in ended && ended.code === 0) return true;
      this.#nextAttempt = Date.now() + 100;
      return false;
    }
    if (Date.now() < this.#nextAttempt) return false;
    const env = (readEnviron("self") ?? []).filter((entry) => !isMarker(entry));
    const devNull = (fd: number) => ({
      open: { fd, path: "/dev/null", flags: fd === 0 ? 0 : libc.constants.O_WRONLY, mode: 0 },
    });
    this.#attempt = libc.spawn({
      path: "/bin/sh",
      argv: ["sh", "-c", this.check.command!],
      env,
      newSession: false,
      defaultSignals: [],
      fileActions: [devNull(0), devNull(1), devNull(2), { closeFrom: 3 }],
    });
    return false;
  }

  /** Stops a command attempt still running. */
  close(): void {
    if (this.#attempt === undefined) return;
    const libc = getLibc();
    try {
      libc.kill(this.#attempt, libc.constants.signals.SIGKILL!);
      libc.waitpid(this.#attempt);
    } catch {
      // Already reaped.
    }
    this.#attempt = undefined;
  }
}
