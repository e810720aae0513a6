/**
 * The on-failure hook's options of `start` and `run` (see `start_options.ts`
 * for what an entry says): the command, and how long it may run.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";

/** The on-failure hook's entries of the option table (checked as entries there). */
export const ON_FAILURE_OPTIONS = [
  {
    flag: "--on-failure",
    type: "command",
    value: "CMD",
    key: "onFailure",
    help: "run the shell command CMD when it fails, is restarted or gives up",
    section: "supervision",
    unit:
      "ExecStopPost= (a shell runs CMD unless $SERVICE_RESULT is success, telling it DAEMONIZE_NAME, DAEMONIZE_EVENT=failed and DAEMONIZE_EXIT)",
  },
  {
    flag: "--on-failure-timeout",
    type: "seconds",
    value: "SEC",
    key: "onFailureTimeout",
    default: DEFAULTS.onFailureTimeout,
    positive: true,
    help: "an --on-failure command still running then is ended",
    section: "supervision",
    unit: "none: the unit's TimeoutStopSec= bounds ExecStopPost= too",
  },
] as const;

/**
 * The shell script of the unit's `ExecStopPost=` for `--on-failure`: unless
 * the service ended well, the command (`$2`) runs, told the daemon's name
 * (`$1`), the event and how the service ended (systemd's `$EXIT_CODE` and
 * `$EXIT_STATUS`: `exited 3`, `killed TERM`).
 */
export const UNIT_ON_FAILURE_SCRIPT = '[ "$SERVICE_RESULT" = success ] && exit 0; ' +
  'export DAEMONIZE_EVENT=failed DAEMONIZE_NAME="$1" DAEMONIZE_EXIT="$EXIT_CODE $EXIT_STATUS"; ' +
  'exec /bin/sh -c "$2"';
