/**
 * What a command line means once parsed: the command and its checked
 * values, one type per command.
 *
 * @module
 */
import type { DaemonOptions } from "../options.ts";
import type { Supervision } from "../supervisor/supervisor.ts";
import type { ReadyCheck } from "../start/ready_probe.ts";
import type { ServeCommand } from "../observe/serve_parse.ts";

/** How `status` prints: words, JSON objects, or the Prometheus text exposition. */
export type StatusForm = "text" | "json" | "prometheus";

/** Which daemon a command is about. */
export type Target = { readonly name: string } | { readonly pidFile: string };

/**
 * The daemons a command acts on: those named (or one by pid file), the
 * daemons of a file of daemons (only those named, when names are given
 * too), or every known daemon.
 */
export interface TargetSet {
  readonly targets: readonly Target[];
  /** A file of daemons (`-f FILE`). */
  readonly file: string | undefined;
  /** Every known daemon (`--all`). */
  readonly all: boolean;
}

/** What `start` and `run` do. */
export interface StartCommand {
  readonly command: "start" | "run";
  readonly name: string;
  /** Pid file given explicitly (else the named one). */
  readonly pidFile: string | undefined;
  /** Daemon options other than the pid file and logs. */
  readonly options: DaemonOptions;
  /** Explicit stream files; undefined ones default to the named log. */
  readonly stdout: string | undefined;
  readonly stderr: string | undefined;
  readonly program: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Environment files (`--env-file`), as given: read at each start, `env` winning. */
  readonly envFiles: readonly string[];
  readonly clearEnv: boolean;
  /**
   * Milliseconds the program must stay up for `start` to succeed; undefined:
   * until it settles (up to `settleLimit`).
   */
  readonly grace: number | undefined;
  /** Without `grace` or a check: the longest `start` waits for the program to settle (ms). */
  readonly settleLimit: number;
  /** Wait for the program's `READY=1` on `$NOTIFY_SOCKET`. */
  readonly notify: boolean;
  /** What proves the program ready, instead of `grace`. */
  readonly ready: ReadyCheck | undefined;
  /** The signal `reload` sends (`SIGHUP` unless given). */
  readonly reloadSignal: string;
  /**
   * How the program is supervised, when a process of ours stays as its parent
   * (`--restart`, a log limit, or `run` without `--exec`); undefined when the
   * program takes the daemon's place.
   */
  readonly supervision: Supervision | undefined;
  /**
   * Only a bare word was given (`start NAME`): the name of a saved daemon,
   * if there is one, else a program without arguments.
   */
  readonly bare: boolean;
}

/** A parsed command line. */
export type Parsed =
  | { readonly command: "help"; readonly topic: string | undefined }
  | { readonly command: "version" }
  | StartCommand
  | ServeCommand
  | ({
    readonly command: "stop" | "restart";
    readonly timeout: number;
    readonly signal: string;
  } & TargetSet)
  | ({ readonly command: "reload" } & TargetSet)
  | { readonly command: "forget"; readonly target: Target }
  | ({
    readonly command: "logs";
    readonly lines: number;
    readonly follow: boolean;
  } & TargetSet)
  | ({ readonly command: "status"; readonly form: StatusForm } & TargetSet)
  | {
    readonly command: "unit";
    /** The daemon's options, from the command line. */
    readonly start: StartCommand | undefined;
    /** Or its entry in a file of daemons. */
    readonly file: string | undefined;
    readonly name: string | undefined;
  }
  | {
    readonly command: "enable" | "disable";
    /** The file of daemons brought back at boot (`./daemonize.json` unless given). */
    readonly file: string | undefined;
    /** A unit of the user's own manager (`systemctl --user`). */
    readonly user: boolean;
    /** Start it once the network is up. */
    readonly afterNetwork: boolean;
    /** Print the unit instead of installing it. */
    readonly print: boolean;
  }
  | {
    readonly command: "up" | "down";
    readonly file: string | undefined;
    /** The daemons of the file to act on; all when empty. */
    readonly names: readonly string[];
    /** `up`: only say which running daemons differ from their entry. */
    readonly noRestart?: boolean;
  };
