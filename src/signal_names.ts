/**
 * Signal names and numbers, both ways, from the per-OS table (`SIGHUP`,
 * `HUP` and `hup` name the same signal).
 *
 * @module
 */
import { getLibc } from "../ffi/libc.ts";

/** The number of a signal name (`"SIGHUP"` or `"HUP"`), or undefined. */
export function signalNumber(name: string): number | undefined {
  const full = name.toUpperCase().startsWith("SIG")
    ? name.toUpperCase()
    : `SIG${name.toUpperCase()}`;
  return getLibc().constants.signals[full];
}

/** The name of signal `number`, such as `"SIGKILL"`. */
export function signalName(number: number): string {
  for (const [name, value] of Object.entries(getLibc().constants.signals)) {
    if (value === number) return name;
  }
  return `signal ${number}`;
}
