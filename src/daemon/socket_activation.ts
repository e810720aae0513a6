/**
 * Socket activation passed through: a process started by systemd (or
 * `systemd-socket-activate`) with listening sockets on descriptors 3…3+n-1
 * (`LISTEN_FDS=n`, `LISTEN_PID` its pid, `LISTEN_FDNAMES`) hands them to
 * the daemon at the same numbers, with `LISTEN_PID` naming the process that
 * finally runs: the program, or this program started again.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { pid as ownPid } from "../host.ts";

/** What a start sets for the daemon it starts again: the sockets are its own. */
export const LISTEN_MARKER = "DAEMONIZE_LISTEN_FDS";

/** A socket passed by the service manager. */
export interface ListenFd {
  /** Its descriptor: 3 for the first. */
  readonly fd: number;
  /** Its name from `LISTEN_FDNAMES` (systemd's `FileDescriptorName=`), or "unknown". */
  readonly name: string;
}

function count(text: string | undefined): number {
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 && n < 1024 ? n : 0;
}

/** How many sockets were passed to this very process (0 for none, or for another process's). */
export function passedDescriptors(): number {
  const libc = getLibc();
  const marker = libc.getenv(LISTEN_MARKER);
  if (marker !== undefined) return count(marker);
  if (Number(libc.getenv("LISTEN_PID")) !== ownPid()) return 0;
  return count(libc.getenv("LISTEN_FDS"));
}

/** The descriptors of `n` passed sockets: 3…3+n-1. */
export function passedRange(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 3 + i);
}

/**
 * In a daemon started again by a start that passed sockets on: makes them
 * this process's (`LISTEN_PID` is its pid now) and drops the marker, so that
 * processes it starts do not take them for theirs.
 */
export function adoptPassedDescriptors(): void {
  const libc = getLibc();
  if (libc.getenv(LISTEN_MARKER) === undefined) return;
  libc.setenv("LISTEN_PID", String(ownPid()));
  libc.unsetenv(LISTEN_MARKER);
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process
    ?.env;
  try {
    if (env) {
      env.LISTEN_PID = String(ownPid());
      delete env[LISTEN_MARKER];
    }
  } catch {
    // No permission to change the runtime's view of the environment: libc's is right.
  }
}

/**
 * The sockets the service manager passed to this process (systemd's
 * `sd_listen_fds`): descriptors 3, 4, … with their names. Empty when none
 * were passed, or when `LISTEN_PID` names another process.
 *
 * @example A server started by a systemd socket unit
 * ```ts ignore
 * import { listenFds } from "./socket_activation.ts";
 *
 * const [socket] = listenFds();
 * if (socket) console.log(`listening on descriptor ${socket.fd} (${socket.name})`);
 * ```
 */
export function listenFds(): ListenFd[] {
  const n = passedDescriptors();
  const names = (getLibc().getenv("LISTEN_FDNAMES") ?? "").split(":");
  return passedRange(n).map((fd, i) => ({ fd, name: names[i] || "unknown" }));
}
