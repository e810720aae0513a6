/**
 * Signal names and numbers, both ways, from the per-OS table (`SIGHUP`,
 * `HUP` and `hup` name the same signal).
 *
 * @module
 */
import { getLibc } from "../ffi/libc.ts";

/**
 * The full name of a signal given as `"HUP"`, `"hup"` or `"SIGHUP"`
 * (`"SIGHUP"`), or undefined when no signal has that name: the one place a
 * name given by a user is normalised.
 */
export function signalFullName(name: string): string | undefined {
  const upper = name.toUpperCase();
  const full = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  return Object.hasOwn(getLibc().constants.signals, full) ? full : undefined;
}

/** The number of a signal name (`"SIGHUP"` or `"HUP"`), or undefined. */
export function signalNumber(name: string): number | undefined {
  const full = signalFullName(name);
  return full === undefined ? undefined : getLibc().constants.signals[full];
}

/** The name of signal `number`, such as `"SIGKILL"`. */
export function signalName(number: number): string {
  for (const [name, value] of Object.entries(getLibc().constants.signals)) {
    if (value === number) return name;
  }
  return `signal ${number}`;
}
