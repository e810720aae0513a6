/**
 * The restart options of `start` and `run` (see `start_options.ts` for what
 * an entry says): when the program is started again, how soon, how often
 * before the daemon has failed, and the memory limit that restarts it.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";

/** The restart entries of the option table (checked as entries there). */
export const RESTART_OPTIONS = [
  {
    flag: "--restart",
    type: "policy",
    value: "POLICY",
    key: "restart",
    default: DEFAULTS.restart,
    help: "no, on-failure or always",
    section: "supervision",
    unit: "Restart=",
  },
  {
    flag: "--restart-delay",
    type: "seconds",
    value: "SEC",
    key: "restartDelay",
    default: DEFAULTS.restartDelay,
    help: `first restart's delay, doubled per failure up to ${DEFAULTS.maxRestartDelay / 1000} s`,
    section: "supervision",
    unit: "RestartSec= (systemd does not double it)",
  },
  {
    flag: "--max-restarts",
    type: "count",
    value: "N",
    key: "maxRestarts",
    default: DEFAULTS.maxRestarts,
    help: "restarts allowed within --restart-window, then failed",
    section: "supervision",
    unit: "StartLimitBurst=",
  },
  {
    flag: "--restart-window",
    type: "seconds",
    value: "SEC",
    key: "restartWindow",
    default: DEFAULTS.restartWindow,
    help: "the window of --max-restarts",
    section: "supervision",
    unit: "StartLimitIntervalSec=",
  },
  {
    flag: "--max-memory",
    type: "size",
    value: "SIZE",
    key: "maxMemory",
    help: "restart it when its processes' memory stays above SIZE",
    section: "supervision",
    unit: "MemoryMax= (the kernel's limit: the program is killed at once)",
  },
] as const;
