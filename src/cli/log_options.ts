/**
 * The options of `start` and `run` for the captured output's log (see
 * `start_options.ts` for what an entry says): its rotation, and a time
 * before each line.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";

/** The log entries of the option table (checked as entries there). */
export const LOG_OPTIONS = [
  {
    flag: "--log-max-size",
    type: "size",
    value: "SIZE",
    key: "logMaxSize",
    shown: "never",
    help: "rotate its captured output at SIZE (like 10M)",
    section: "supervision",
    unit: "none: rotate the file with logrotate, or log to the journal",
  },
  {
    flag: "--log-keep",
    type: "count",
    value: "N",
    key: "logKeep",
    default: DEFAULTS.logKeep,
    help: "rotated logs kept",
    section: "supervision",
    unit: "none: rotate the file with logrotate, or log to the journal",
  },
  {
    flag: "--log-time",
    type: "switch",
    key: "logTime",
    help: "prefix each captured line with the time",
    section: "supervision",
    unit: "none: the journal stamps each line",
  },
] as const;
