/**
 * Telling the service manager how the daemon is doing, by systemd's
 * `sd_notify` protocol: a datagram to `$NOTIFY_SOCKET`. The same calls work
 * under systemd (`Type=notify`) and under `daemonize start --notify`, which
 * gives the program a socket of its own; without `$NOTIFY_SOCKET` they do
 * nothing and return false.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { backgroundTimer, pid as ownPid } from "../host.ts";

/** Sends `message` (lines of `NAME=value`); false when no manager listens. */
function send(message: string): boolean {
  const socket = getLibc().getenv("NOTIFY_SOCKET");
  if (!socket) return false;
  getLibc().notify(socket, message.endsWith("\n") ? message : `${message}\n`);
  return true;
}

/** One line for a status text: what systemd shows in `systemctl status`. */
function statusLine(text: string): string {
  return `STATUS=${text.replace(/[\r\n]+/g, " ")}`;
}

/** The calls of the `sd_notify` protocol (see {@link notify}). */
export interface Notify {
  /** The daemon is ready (`READY=1`), with an optional status text. */
  ready(status?: string): boolean;
  /** A status text for `systemctl status` (`STATUS=`). */
  status(text: string): boolean;
  /** The daemon reloads its configuration (`RELOADING=1`); say `ready()` after. */
  reloading(): boolean;
  /** The daemon is stopping (`STOPPING=1`). */
  stopping(): boolean;
  /** The daemon is alive (`WATCHDOG=1`). */
  watchdog(): boolean;
  /** Feeds the watchdog at half of `$WATCHDOG_USEC`; returns the function that stops it. */
  startWatchdog(): () => void;
}

/**
 * The calls of the `sd_notify` protocol. Each returns whether a service
 * manager was told (false without `$NOTIFY_SOCKET`).
 *
 * @example A server that says when it is ready and what it is doing
 * ```ts ignore
 * import { notify } from "./notify.ts";
 *
 * const server = Deno.serve({ port: 8080 }, () => new Response("hi"));
 * notify.ready("listening on 8080");
 * notify.startWatchdog(); // WATCHDOG=1 at half of $WATCHDOG_USEC, if systemd asks
 * ```
 */
export const notify: Notify = {
  /** The daemon is ready (`READY=1`), with an optional status text. */
  ready(status?: string): boolean {
    return send(
      [`READY=1`, `MAINPID=${ownPid()}`, ...(status ? [statusLine(status)] : [])].join("\n"),
    );
  },
  /** A status text for `systemctl status` (`STATUS=`). */
  status(text: string): boolean {
    return send(statusLine(text));
  },
  /** The daemon reloads its configuration (`RELOADING=1`); say {@link notify.ready} after. */
  reloading(): boolean {
    return send(`RELOADING=1\nMONOTONIC_USEC=${getLibc().monotonicMicroseconds()}`);
  },
  /** The daemon is stopping (`STOPPING=1`). */
  stopping(): boolean {
    return send("STOPPING=1");
  },
  /** The daemon is alive (`WATCHDOG=1`): systemd's watchdog is fed. */
  watchdog(): boolean {
    return send("WATCHDOG=1");
  },
  /**
   * Feeds systemd's watchdog by itself, at half the interval systemd asks
   * for in `$WATCHDOG_USEC` (when `$WATCHDOG_PID` is unset or this process).
   * Returns the function that stops it; does nothing when no watchdog is
   * asked for. The timer does not keep the program alive.
   */
  startWatchdog(): () => void {
    const libc = getLibc();
    const usec = Number(libc.getenv("WATCHDOG_USEC"));
    const owner = libc.getenv("WATCHDOG_PID");
    if (!Number.isFinite(usec) || usec <= 0 || (owner && Number(owner) !== ownPid())) {
      return () => {};
    }
    let stopped = false;
    const feed = () => {
      if (stopped) return;
      notify.watchdog();
      backgroundTimer(feed, Math.max(1, usec / 2000));
    };
    feed();
    return () => {
      stopped = true;
    };
  },
};
