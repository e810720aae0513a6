/**
 * The health check's options of `start` and `run` (see `start_options.ts`
 * for what an entry says): a command or a port, how often, how long a check
 * may take, and how many failures in a row restart the program.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";

const NO_UNIT =
  "none: systemd has no health check; a daemon using the library can feed WatchdogSec= with startWatchdog()";

/** The health check's entries of the option table (checked as entries there). */
export const HEALTH_OPTIONS = [
  {
    flag: "--health-cmd",
    type: "command",
    value: "CMD",
    key: "healthCmd",
    help: "check its health: the shell command CMD must exit 0",
    section: "supervision",
    unit: NO_UNIT,
  },
  {
    flag: "--health-port",
    type: "port",
    value: "PORT",
    key: "healthPort",
    help: "check its health: 127.0.0.1:PORT must accept a TCP connection",
    section: "supervision",
    unit: NO_UNIT,
  },
  {
    flag: "--health-interval",
    type: "seconds",
    value: "SEC",
    key: "healthInterval",
    default: DEFAULTS.healthInterval,
    positive: true,
    help: "time between two health checks",
    section: "supervision",
    unit: NO_UNIT,
  },
  {
    flag: "--health-timeout",
    type: "seconds",
    value: "SEC",
    key: "healthTimeout",
    default: DEFAULTS.healthTimeout,
    positive: true,
    help: "a health check that takes longer fails (a command is killed)",
    section: "supervision",
    unit: NO_UNIT,
  },
  {
    flag: "--health-retries",
    type: "count",
    value: "N",
    key: "healthRetries",
    default: DEFAULTS.healthRetries,
    positive: true,
    help: "failed health checks in a row that restart it",
    section: "supervision",
    unit: NO_UNIT,
  },
] as const;
