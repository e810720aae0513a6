/**
 * The daemon's side of a start: take over what the starter handed it (or
 * start in the foreground), run the set-up, and go on as this program.
 * Nothing of the starter's side is loaded here.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { DaemonError } from "../errors.ts";
import { exit, pid as ownPid } from "../host.ts";
import type { ResolvedOptions } from "../options.ts";
import { newToken, TOKEN_VARIABLE } from "../process/identity.ts";
import { ReadyChannel, readyDescriptor } from "../start/ready_channel.ts";
import { mainModule, type Markers } from "../start/relaunch.ts";
import { type Daemon, DaemonProcess, DaemonStart } from "./handle.ts";
import { DAEMON_SET_UP, daemonValues, runSetUp } from "./set_up.ts";
import { adoptPassedDescriptors } from "./socket_activation.ts";
import { guardInspectorSignal } from "./signals.ts";

/**
 * The start of this daemon: with `markers`, started again by its starter,
 * which waits on the readiness pipe; without, in the foreground.
 * @throws {DaemonError} of step `"reexec"` when the starter's options differ.
 */
export function daemonStart(options: ResolvedOptions, markers: Markers | undefined): DaemonStart {
  if (!markers) return new DaemonStart(options.pidFile, undefined);
  if (markers.readyFd !== readyDescriptor(options)) {
    throw new DaemonError("reexec", "the program started again with other options");
  }
  adoptPassedDescriptors();
  const channel = new ReadyChannel(markers.readyFd);
  channel.started(ownPid());
  const start = new DaemonStart(options.pidFile, channel);
  if (markers.main !== mainModule()) {
    channel.failed(
      new DaemonError(
        "reexec",
        `the program started again is ${mainModule()}, not ${markers.main}`,
      ),
    );
    exit(1);
  }
  return start;
}

/** The token of this daemon's processes: detached, the starter's; in the foreground, new. */
export function daemonToken(start: DaemonStart): string {
  return (start.detached ? getLibc().getenv(TOKEN_VARIABLE) : undefined) ?? newToken();
}

/**
 * This process as a JS daemon: set up, then ready after the first
 * synchronous part of the code that follows `await daemonize()` (with
 * `readiness: "auto"`). A failed step ends the start (see
 * {@link DaemonStart.fail}).
 */
export function runDaemon(options: ResolvedOptions, markers: Markers | undefined): Daemon {
  const start = daemonStart(options, markers);
  const daemon = new DaemonProcess(options, start);
  const token = daemonToken(start);
  start.watchExit();
  try {
    const record = {
      file: start.pidFile,
      pid: daemon.pid,
      token,
      ownSession: start.detached,
      handles: [...options.signals.keys()],
    };
    runSetUp(DAEMON_SET_UP, daemonValues(options, record, () => void daemon.stop(0)));
  } catch (error) {
    start.fail(error as DaemonError);
  }
  guardInspectorSignal();
  start.watchUncaught();
  // setImmediate: a zero timeout waits a millisecond or more.
  if (options.readiness === "auto") setImmediate(() => daemon.ready());
  return daemon;
}
