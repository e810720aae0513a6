/**
 * What brings a file of daemons back at boot: the systemd service that
 * `enable` installs (one per file, named after the file's path), and the
 * crontab line offered where systemd does not run. Pure: the caller finds
 * the command that runs `daemonize` and the environment it keeps.
 *
 * The service is `Type=oneshot` with `RemainAfterExit=yes`: `up` returns
 * once every daemon of the file is ready, each daemon keeps its own
 * supervisor (`--restart`), and the unit stays active so that `down` runs
 * at shutdown.
 *
 * @module
 */
import { execWord } from "./unit.ts";
import { UsageError } from "./usage.ts";

/** The comment line that marks a unit as written by `enable`: only such a unit is replaced or removed. */
export const MARK = "# Written by daemonize enable; daemonize disable removes it.";

/** What a boot unit is made of. */
export interface BootFacts {
  /** The file of daemons, absolute. */
  readonly file: string;
  /** The command that runs `daemonize`: the executable's absolute path, then runtime flags and module. */
  readonly command: readonly string[];
  /** The directory `up` runs in (where `enable` ran). */
  readonly directory: string;
  /** Variables the unit sets (`PATH`, `DAEMONIZE_HOME`…): never a secret. */
  readonly env: readonly (readonly [name: string, value: string])[];
  /** A unit of the user's own manager (`systemctl --user`). */
  readonly userUnit: boolean;
  /** Start after the network is up (`network-online.target`). */
  readonly afterNetwork: boolean;
}

/** A 32-bit FNV-1a hash of `text`, in 8 hex digits: tells apart files of the same name. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/**
 * The unit's file name for the file of daemons at `file` (absolute):
 * `daemonize-DIR-HASH.service` for `DIR/daemonize.json`, else
 * `daemonize-DIR-STEM-HASH.service`.
 */
export function unitName(file: string): string {
  const slash = file.lastIndexOf("/");
  const directory = file.slice(0, slash);
  const stem = file.slice(slash + 1).replace(/\.jsonc?$/, "");
  const folder = directory.slice(directory.lastIndexOf("/") + 1) || "root";
  const label = stem === "daemonize" ? folder : `${folder}-${stem}`;
  const clean = label.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 60);
  return `daemonize-${clean}-${shortHash(file)}.service`;
}

/**
 * A value for a unit line that takes it as it is (`%` doubled).
 * @throws {UsageError} for a control character, which would end the line.
 */
function plain(what: string, value: string): string {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) {
    throw new UsageError(`${what} ${JSON.stringify(value)} can't go into a unit`, "enable");
  }
  return value.replaceAll("%", "%%");
}

/** `Environment="NAME=value"`, quoted the systemd way (no `$` expansion there). */
function environmentLine(name: string, value: string): string {
  const escaped = plain(name, `${name}=${value}`).replace(/[\\"]/g, (c) => `\\${c}`);
  return `Environment="${escaped}"`;
}

/** The boot unit of a file of daemons, headed by a comment naming its file name. */
export function bootUnit(facts: BootFacts): string {
  const name = unitName(facts.file);
  const run = (verb: string) => [...facts.command, verb, "-f", facts.file].map(execWord).join(" ");
  const unit = [
    `# ${name}`,
    MARK,
    "[Unit]",
    `Description=The daemons of ${plain("the file", facts.file)} (daemonize)`,
  ];
  if (facts.afterNetwork) unit.push("Wants=network-online.target", "After=network-online.target");
  const service = [
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `WorkingDirectory=${plain("the directory", facts.directory)}`,
    ...facts.env.map(([k, v]) => environmentLine(k, v)),
    `ExecStart=${run("up")}`,
    `ExecStop=${run("down")}`,
  ];
  const install = [
    "",
    "[Install]",
    `WantedBy=${facts.userUnit ? "default.target" : "multi-user.target"}`,
  ];
  return [...unit, ...service, ...install].join("\n") + "\n";
}

/** Whether a unit's text carries the mark of `enable`. */
export function writtenByEnable(text: string): boolean {
  return text.split("\n").includes(MARK);
}

/** One word for `sh`, quoted when it must be. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=+,@-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The crontab line (`crontab -e`) that brings the file's daemons up at boot
 * where systemd does not run; `%`, a line break to cron, is escaped.
 */
export function crontabLine(facts: BootFacts): string {
  const words = [
    "cd",
    shellWord(facts.directory),
    "&&",
    ...facts.env.map(([k, v]) => `${k}=${shellWord(v)}`),
    ...[...facts.command, "up", "-f", facts.file].map(shellWord),
  ];
  return `@reboot ${words.join(" ").replaceAll("%", "\\%")}`;
}
