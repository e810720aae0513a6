/**
 * The daemon's signal dispositions: the PEP 3143 map merged with the
 * user's, and a guard that keeps Deno's debugger off `SIGUSR1`.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { inSignalMask, readStatus } from "../process/proc.ts";
import { backgroundTimer, isDeno, onSignal } from "../host.ts";
import type { SignalAction } from "../options.ts";
import { signalName } from "../signal_names.ts";

/** Signals reset to their default action in the daemon and in a supervised program. */
export const RESET_SIGNALS = [
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGUSR1",
  "SIGUSR2",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
  "SIGCHLD",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGXFSZ",
];

/** Signals a supervisor passes on to its program. */
export const FORWARDED_SIGNALS = [
  "SIGTERM",
  "SIGINT",
  "SIGQUIT",
  "SIGHUP",
  "SIGUSR1",
  "SIGUSR2",
  "SIGWINCH",
];

/**
 * Holds (`true`) or lets through the signals a supervisor passes on, in this
 * thread: held across the exec into the supervisor's own image, whose
 * handlers are not there yet, they wait instead of ending it.
 */
export function holdForwardedSignals(hold: boolean): void {
  const libc = getLibc();
  libc.blockSignals(FORWARDED_SIGNALS.map((name) => libc.constants.signals[name]!), hold);
}

/**
 * Installs `table`: functions and `"terminate"` (which calls `terminate`)
 * as listeners, `"ignore"` as `SIG_IGN`.
 */
export function installSignals(
  table: ReadonlyMap<number, SignalAction>,
  terminate: () => void,
): void {
  const libc = getLibc();
  for (const [number, action] of table) {
    const name = signalName(number);
    if (action === "ignore") {
      // Never for a signal with a listener: SIG_IGN would silence it.
      libc.ignoreSignal(number, true);
    } else if (action === "terminate") {
      onSignal(name, terminate);
    } else {
      onSignal(name, () => {
        Promise.resolve().then(action).catch((error) => {
          console.error(`daemonize: handler of ${name} failed:`, error);
        });
      });
    }
  }
}

/** Whether signal `number` has a handler installed, from /proc. */
function caught(number: number): boolean | undefined {
  const status = readStatus("self");
  return status && inSignalMask(status.caught, number);
}

/**
 * Under Deno, `SIGUSR1` opens a V8 inspector that any local user can attach
 * to, and nothing turns it off. Deno installs that handler once its event
 * loop first goes idle; as soon as it is there, it is replaced by `SIG_IGN`.
 * Where /proc can't tell (inside a chroot), `SIG_IGN` is set again on every
 * tick (each second after the first five), which is harmless before Deno's
 * install and undoes it after.
 */
export function guardInspectorSignal(): void {
  if (!isDeno) return;
  const libc = getLibc();
  const usr1 = libc.constants.signals.SIGUSR1!;
  let ticks = 0;
  const tick = () => {
    ticks++;
    const installed = caught(usr1);
    if (installed !== false) libc.ignoreSignal(usr1, true);
    // Seen and replaced: done. Unseen (no /proc): keep replacing, once a second.
    if (installed === true) return;
    backgroundTimer(tick, ticks < 50 ? 100 : 1000);
  };
  backgroundTimer(tick, 100);
}
