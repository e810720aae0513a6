/**
 * `enable` and `disable`: the systemd service that brings a file of daemons
 * up at every boot, installed and enabled (or disabled and removed) through
 * `systemctl`; without systemd, the crontab line to add instead.
 *
 * Test seams (for tests only, which must not touch the machine's systemd):
 * `$DAEMONIZE_TEST_UNIT_DIR` is the unit folder, `$DAEMONIZE_TEST_SYSTEMCTL`
 * and `$DAEMONIZE_TEST_LOGINCTL` the programs run in place of `systemctl`
 * and `loginctl`, and `$DAEMONIZE_TEST_SYSTEMD_DIR` the folder whose
 * presence means systemd runs (`/run/systemd/system`).
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { DEFAULTS } from "../defaults.ts";
import {
  cwd,
  effectiveUid,
  getenv,
  homeOf,
  makeDirectory,
  pid,
  readDirectory,
  readTextFileIfAny,
  removeFile,
  scriptArgs,
  writeTextFile,
} from "../host.ts";
import { joinPath as join, resolvePath } from "../paths.ts";
import { findProgram } from "../daemon/program.ts";
import { sameCommand } from "../start/relaunch.ts";
import { type BootFacts, bootUnit, crontabLine, unitName, writtenByEnable } from "./boot_unit.ts";
import type { Output } from "./commands.ts";
import { EXIT } from "./exit_codes.ts";
import { daemonFile } from "./stack.ts";
import { ensureDirs, stateDirs } from "./state.ts";
import { UsageError } from "./usage.ts";

/** What `enable` and `disable` were asked. */
export interface EnableRequest {
  readonly command: "enable" | "disable";
  readonly file: string | undefined;
  readonly user: boolean;
  readonly afterNetwork: boolean;
  readonly print: boolean;
}

/** The folder whose presence means systemd is the init system. */
function systemdRuns(): boolean {
  try {
    readDirectory(getenv("DAEMONIZE_TEST_SYSTEMD_DIR") || "/run/systemd/system");
    return true;
  } catch {
    return false;
  }
}

/** Where the unit goes: the system's unit folder, or the user's own. */
function unitDirectory(user: boolean): string {
  const seam = getenv("DAEMONIZE_TEST_UNIT_DIR");
  if (seam) return resolvePath(cwd(), seam);
  if (!user) return "/etc/systemd/system";
  const config = getenv("XDG_CONFIG_HOME");
  const base = config?.startsWith("/")
    ? config
    : join(getenv("HOME") || homeOf(effectiveUid()) || "/", ".config");
  return join(base, "systemd/user");
}

/**
 * The command that runs this `daemonize` again: the executable's absolute
 * path, then (under a runtime) its flags and the module, made absolute.
 */
function selfCommand(): { command: string[]; env: readonly string[] } {
  const self = sameCommand();
  const prefix = self.argv.slice(0, self.argv.length - scriptArgs().length);
  // A compiled binary is its own program: nothing follows it.
  if (prefix.length <= 1) return { command: [self.path], env: self.env };
  const module = prefix[prefix.length - 1]!;
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(module) ? module : resolvePath(cwd(), module);
  return { command: [self.path, ...prefix.slice(1, -1), absolute], env: self.env };
}

/** The variables the unit keeps from here: where programs are found and the state folders. */
function keptEnvironment(user: boolean): [string, string][] {
  const kept: [string, string][] = [];
  const path = getenv("PATH");
  if (path) kept.push(["PATH", path]);
  const home = getenv("DAEMONIZE_HOME");
  if (home) kept.push(["DAEMONIZE_HOME", resolvePath(cwd(), home)]);
  const state = getenv("XDG_STATE_HOME");
  if (user && state?.startsWith("/")) kept.push(["XDG_STATE_HOME", state]);
  return kept;
}

/**
 * Runs `program` with `args` to its end, its output on ours (or, with
 * `capture`, in a file of the state folder read back); its exit status
 * (-1 when a signal ended it) and what it wrote.
 */
function runTool(
  program: string,
  args: readonly string[],
  env: readonly string[],
  capture = false,
): { code: number; output: string } {
  const libc = getLibc();
  const c = libc.constants;
  const path = findProgram(program, getenv("PATH"), cwd());
  let file: string | undefined;
  if (capture) {
    const run = stateDirs().run;
    ensureDirs([run]);
    file = join(run, `.${program.replace(/.*\//, "")}.${pid()}.out`);
    removeFile(file);
  }
  const child = libc.spawn({
    path,
    argv: [program, ...args],
    env,
    newSession: false,
    defaultSignals: [],
    fileActions: file === undefined ? [] : [{
      open: {
        fd: 1,
        path: file,
        flags: c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW,
        mode: 0o600,
      },
    }],
  });
  const status = libc.waitpid(child);
  const code = status && "code" in status ? status.code : -1;
  if (file === undefined) return { code, output: "" };
  const output = readTextFileIfAny(file) ?? "";
  removeFile(file);
  return { code, output };
}

/** A step of `enable` or `disable` that failed: its one line says which. */
class StepFailed extends Error {}

/** `systemctl [--user] ARGS`. */
function systemctl(user: boolean, args: readonly string[], env: readonly string[]): void {
  const program = getenv("DAEMONIZE_TEST_SYSTEMCTL") || "systemctl";
  const words = [...(user ? ["--user"] : []), ...args];
  const { code } = runTool(program, words, env);
  if (code !== 0) {
    throw new StepFailed(`systemctl ${words.join(" ")} failed (exit status ${code})`);
  }
}

/** Whether user `name`'s units start at boot (`loginctl` says `Linger=yes`). */
function lingers(name: string, env: readonly string[]): boolean {
  const program = getenv("DAEMONIZE_TEST_LOGINCTL") || "loginctl";
  try {
    const { code, output } = runTool(program, ["show-user", name, "-p", "Linger"], env, true);
    return code === 0 && output.split("\n").includes("Linger=yes");
  } catch {
    return false;
  }
}

/** `enable` or `disable` of a file of daemons; a failed step is one line, exit 1. */
export function enableCommand(request: EnableRequest, io: Output): number {
  try {
    return enableOrDisable(request, io);
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    io.err(`daemonize: ${request.command}: ${error.message}\n`);
    return EXIT.failed;
  }
}

function enableOrDisable(request: EnableRequest, io: Output): number {
  const given = request.file ?? DEFAULTS.daemonFile;
  const file = resolvePath(cwd(), given);
  // The file's mistakes show now, not at the next boot.
  if (request.command === "enable") daemonFile(request.file);
  const { command, env } = selfCommand();
  const facts: BootFacts = {
    file,
    command,
    directory: cwd(),
    env: keptEnvironment(request.user),
    userUnit: request.user,
    afterNetwork: request.afterNetwork,
  };
  const name = unitName(file);
  if (request.print) {
    io.out(bootUnit(facts));
    return 0;
  }
  if (!request.user && effectiveUid() !== 0) {
    throw new UsageError(
      `a system unit needs root: run ${request.command} as root, or give --user`,
      request.command,
    );
  }
  if (!systemdRuns()) {
    if (request.command === "enable") {
      io.err(
        "daemonize: systemd does not run here (no /run/systemd/system): nothing installed; " +
          "add this line to your crontab (crontab -e) instead:\n",
      );
      io.out(crontabLine(facts) + "\n");
    } else {
      io.err(
        `daemonize: systemd does not run here (no /run/systemd/system): remove the @reboot line of ${file} from your crontab (crontab -e)\n`,
      );
    }
    return 1;
  }
  const directory = unitDirectory(request.user);
  const path = join(directory, name);
  const existing = readTextFileIfAny(path);
  if (existing !== undefined && !writtenByEnable(existing)) {
    throw new StepFailed(
      `${path} was not written by daemonize enable: left as it is; move it away first`,
    );
  }
  if (request.command === "disable") {
    if (existing === undefined) {
      io.out(`${name} is not installed (no ${path}): nothing to disable\n`);
      return 0;
    }
    systemctl(request.user, ["disable", name], env);
    removeFile(path);
    systemctl(request.user, ["daemon-reload"], env);
    io.out(
      `disabled ${name}: the daemons of ${given} no longer start at boot (they run on; down -f ${given} stops them)\n`,
    );
    return 0;
  }
  try {
    makeDirectory(directory, 0o755);
    writeTextFile(path, bootUnit(facts), 0o644, true);
  } catch (error) {
    throw new StepFailed(`cannot write ${path}: ${(error as Error).message}`);
  }
  systemctl(request.user, ["daemon-reload"], env);
  systemctl(request.user, ["enable", name], env);
  io.out(`enabled ${name}: the daemons of ${given} come up at every boot (${path})\n`);
  if (request.user) {
    const user = getLibc().account(effectiveUid())?.name ?? getenv("USER") ?? "";
    if (!lingers(user, env)) {
      io.err(
        `daemonize: note: run "loginctl enable-linger ${user}" so that it starts at boot (without lingering, user units start at login only)\n`,
      );
    }
  }
  return 0;
}
