/**
 * The supervisor: one small process of ours that is a program's parent and
 * carries out what is decided about it. It holds the daemon's identity (its
 * pid file names the supervisor), passes the signals it is sent on to the
 * program, starts the program again as `decision.ts` decides, has its
 * output captured (`capture.ts`), its memory watched (`memory_watch.ts`) and
 * its health checked (`health_check.ts`),
 * reaps orphans when it is a container's PID 1, and exits after the program
 * when told to stop.
 *
 * What it is doing is kept beside the pid file (`PATH.supervisor`, JSON), for
 * `status` and `reload`.
 *
 * @module
 */
import { DEFAULTS } from "../defaults.ts";
import { type ExitStatus, getLibc } from "../../ffi/libc.ts";
import { exitProgram, onSignal, pid as ownPid, removeFile, writeTextFile } from "../host.ts";
import { FORWARDED_SIGNALS } from "../daemon/signals.ts";
import { describeEnd, formatDelay } from "../text.ts";
import { releaseExecutablePages } from "../daemon/memory.ts";
import { readStat, whyFatal } from "../process/proc.ts";
import { OutputCapture } from "./capture.ts";
import { decideRestart, NO_RESTARTS, type RestartHistory } from "./decision.ts";
import { watchMemory } from "./memory_watch.ts";
import { HealthCheck } from "./health_check.ts";
import { CronRuns } from "./cron_runs.ts";
import type { SupervisorPlan } from "./plan.ts";
import {
  type HealthResult,
  recordPath,
  type RestartPolicy,
  type SupervisorRecord,
} from "./record.ts";
import { spawnProgram } from "./spawn.ts";
import { type Run, stillRuns, takeOver, watchTakenOver } from "./run.ts";
import { pidfdOf } from "./output_keeper.ts";
import { inTerminalForeground, leftInSession } from "./session.ts";
import { selfIdentity, TOKEN_VARIABLE } from "../process/identity.ts";
import type { Orphan } from "./orphan.ts";
import { failed, type FailureHook, failureHookFor, hookEvent } from "./failure_hook.ts";
import type { FailureCause, FailureEvent } from "./failure_event.ts";
import { ChangeRestarts } from "./change_restart.ts";

// Where the library and the command line have always found them.
export type { RestartPolicy };
export type { Supervision, SupervisorPlan } from "./plan.ts";

/** Signals after which the program is not started again. */
const STOPPING = new Set(["SIGTERM", "SIGINT", "SIGQUIT"]);
/** Signals a terminal sends to its whole foreground process group. */
const FROM_TERMINAL = new Set(["SIGINT", "SIGQUIT", "SIGWINCH"]);
/** Signals that also reopen the logs (after an external rotation). */
const REOPEN = new Set(["SIGHUP", "SIGUSR2"]);

/**
 * How a taken-over program ended, for the restart policy: not known (its
 * parent was another); counted as a failure.
 */
const UNKNOWN_END: ExitStatus = { code: 1 };

/** When the supervisor hands back the pages it needed to start (ms). */
const TRIM_AFTER = 2000;

/** The exit status that passes `end` on (128 + N for death by signal N). */
function exitStatusOf(end: ExitStatus): number {
  return "code" in end ? end.code : 128 + end.signal;
}

/** Runs the supervisor; it lives on as the program's parent, and exits after it. */
export function supervise(plan: SupervisorPlan): void {
  new Supervisor(plan).begin();
}

class Supervisor {
  readonly #plan: SupervisorPlan;
  readonly #output: OutputCapture;
  #run: Run | undefined;
  #history: RestartHistory = NO_RESTARTS;
  #restarts = 0;
  #stopping = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastExit: string | null = null;
  /** The run was ended for its memory or its health: it is started again whatever the policy. */
  #overgrown = false;
  #stopWatch: (() => void) | undefined;
  /** The daemon's recorded session is the one a taken-over program ran in. */
  #adoptedSession = false;
  #health: HealthCheck | undefined;
  #lastHealth: HealthResult | undefined;
  #hook: FailureHook | undefined;
  /** Why a run ended by the supervisor (`#overgrown`) ends, for the on-failure hook. */
  #endCause: FailureCause = "memory";
  #watch: ChangeRestarts | undefined;
  #schedules: CronRuns | undefined;

  constructor(plan: SupervisorPlan) {
    this.#plan = plan;
    this.#output = new OutputCapture(plan.program, plan.supervision);
    this.#hook = failureHookFor(plan, (line) => this.#output.say(line));
  }

  begin(): void {
    const { maxMemory } = this.#plan.supervision;
    for (const name of FORWARDED_SIGNALS) onSignal(name, () => this.#onSignal(name));
    if (maxMemory !== undefined) {
      this.#stopWatch = watchMemory(
        maxMemory,
        () => this.#stopping || this.#overgrown ? null : this.#run?.pid ?? null,
        (usage) => this.#endOvergrown(usage),
      );
    }
    this.#checkHealth();
    this.#watch = ChangeRestarts.start(this.#plan, {
      restartable: () =>
        this.#stopping || this.#overgrown || !this.#run || !this.#started() ? null : this.#run.pid,
      restart: (why) => this.#endOvergrown(why),
      say: (line) => this.#output.say(line),
    });
    // We spawn (and reap) our children ourselves: orphans too, as PID 1.
    onSignal("SIGCHLD", () => this.#reap());
    // A program taken over keeps its schedules; with --cron, a run starts at its time.
    const atTimes = this.#schedule();
    if (this.#plan.adopt) this.#adopt(this.#plan.adopt);
    else if (!atTimes) this.#start();
    // The starter judges the first run (grace, readiness check) and leaves
    // once it is satisfied; until then an end of the program fails the start.
    // A program taken over has long started: supervised again is ready.
    if (this.#run?.adopted) this.#plan.channel?.ready(ownPid());
    else if (this.#run) this.#plan.channel?.programStarted(this.#run.pid);
    // Started: what the runtime needed to get here can leave memory. (After
    // the word to the starter: Deno's first timer costs it 6 ms or more.)
    setTimeout(releaseExecutablePages, TRIM_AFTER);
    // Signal handlers and a child don't keep a runtime running; this does,
    // until #finish exits.
    setInterval(() => {}, 2 ** 30);
  }

  /** Tells the starter, if it still waits, how the program ended; once. */
  #tellStarter(end: ExitStatus): void {
    const channel = this.#plan.channel;
    if (!channel?.open) return;
    if ("code" in end) channel.exited(end.code);
    else channel.killed(end.signal);
    // Said once: the exit that follows is ours, not the program's.
    channel.close();
  }

  /** Whether the start was judged a success (the starter left), so ends are restarted. */
  #started(): boolean {
    const channel = this.#plan.channel;
    if (!channel || channel.starterGone()) {
      channel?.close();
      return true;
    }
    return false;
  }

  #record(state: SupervisorRecord["state"], nextStart?: number): void {
    const { pidFile, supervision } = this.#plan;
    if (!pidFile) return;
    const run = state === "running" ? this.#run : undefined;
    const record: SupervisorRecord = {
      supervisor: ownPid(),
      program: run?.pid ?? null,
      ...(run ? { programStart: run.start, keeper: run.output.keeper, adopted: run.adopted } : {}),
      state,
      restarts: this.#restarts,
      since: run?.startedAt ?? Date.now(),
      lastExit: this.#lastExit,
      restartPolicy: supervision.restart,
      ...(this.#lastHealth ? { health: this.#lastHealth } : {}),
      droppedLines: this.#output.droppedLines,
      ...(nextStart === undefined ? {} : { nextStart }),
      ...(this.#watch ? { watch: this.#watch.record() } : {}),
      ...this.#schedules?.facts(),
    };
    try {
      writeTextFile(recordPath(pidFile.path), JSON.stringify(record) + "\n", 0o644);
    } catch {
      // Status then knows less; the program runs all the same.
    }
  }

  /**
   * Takes over the program a killed supervisor left running: its output
   * from its keeper, its end seen by looking at it (it is not our child:
   * no SIGCHLD, and its exit status is not ours to read).
   */
  #adopt(orphan: Orphan): void {
    const { run, outputTaken } = takeOver(orphan, this.#output);
    this.#run = run;
    this.#restarts = orphan.restarts;
    this.#adoptedSession = true;
    const ended = () => {
      this.#ended(run, UNKNOWN_END).catch((error) => {
        console.error(`daemonize: supervisor: ${(error as Error).message}`);
      });
    };
    // Ended meanwhile: as if it ended now.
    if (!stillRuns(run)) return ended();
    this.#output.say(
      `${this.#plan.program.name} (pid ${orphan.pid}) is supervised again, by pid ${ownPid()}${
        outputTaken ? "" : "; its output could not be taken over"
      }`,
    );
    this.#record("running");
    watchTakenOver(run, () => this.#run === run, ended);
  }

  #start(): void {
    const { program } = this.#plan;
    if (this.#adoptedSession) this.#ownSession();
    const startedAt = Date.now();
    const output = this.#output.run();
    let pid: number;
    try {
      pid = spawnProgram(program, output.actions);
    } catch (error) {
      output.abandon();
      // Not started at all (ENOENT, EACCES): as a shell reports it.
      this.#output.say(`cannot execute ${program.path}: ${(error as Error).message}`);
      const code = (error as { code?: string }).code === "EACCES" ? 126 : 127;
      this.#lastExit = describeEnd({ code });
      if (!this.#started()) this.#finish({ code }, "stopped", true);
      const why = `cannot execute ${program.path}`;
      return void this.#last({ code }, hookEvent("gave-up", "exit", undefined, { code }, 0, why));
    }
    // Ours alone to reap, so the pid can't pass to another process before we
    // see it end: the pidfd is certainly the program's (and without pidfds,
    // kill(2) on the pid is as safe, for the same reason).
    const pidfd = pidfdOf(pid);
    output.started();
    this.#run = { pid, pidfd, output, startedAt, start: readStat(pid)?.startTicks ?? 0 };
    this.#record("running");
  }

  /** From now on the daemon's processes are in this supervisor's session: the pid file says so. */
  #ownSession(): void {
    this.#adoptedSession = false;
    const file = this.#plan.pidFile;
    const token = getLibc().getenv(TOKEN_VARIABLE);
    if (!file || token === undefined) return;
    try {
      file.rerecord(selfIdentity(ownPid(), token, true));
    } catch {
      // The old session stays recorded: status sees less of the daemon.
    }
  }

  /** Reaps every child that ended: the program's end, or an orphan's (as PID 1). */
  #reap(): void {
    for (;;) {
      const reaped = getLibc().reapAny();
      if (!reaped) return;
      if (this.#health?.reaped(reaped.pid, reaped.status)) continue;
      if (this.#hook?.reaped(reaped.pid, reaped.status)) continue;
      if (this.#run && reaped.pid === this.#run.pid) {
        this.#ended(this.#run, reaped.status).catch((error) => {
          console.error(`daemonize: supervisor: ${(error as Error).message}`);
        });
      }
    }
  }

  async #ended(run: Run, end: ExitStatus): Promise<void> {
    if (this.#run !== run) return;
    this.#run = undefined;
    if (run.pidfd !== undefined) getLibc().close(run.pidfd);
    // Ended while the starter judges it: the start fails; it is told now,
    // before the wait for the last output, which may outlast its grace period.
    const started = this.#started();
    if (!started) this.#tellStarter(end);
    await run.output.end();
    this.#lastExit = run.adopted
      ? "ended (how is not known: it ran under an earlier supervisor)"
      : describeEnd(end);
    if (!started) {
      // Ended while the starter judges it: the start fails, with its status.
      this.#finish(end, "stopped", true);
      return;
    }
    // Ended for a change: started again once all of it is gone, at once, no failure counted.
    if (this.#watch?.pending && !this.#stopping) {
      this.#overgrown = false;
      this.#record("restarting");
      await this.#watch.lastRunGone(`${this.#plan.program.name} ${this.#lastExit}`);
      if (!this.#stopping) return void (this.#restarts++, this.#start());
    }
    const { supervision, program } = this.#plan;
    const overgrown = this.#overgrown;
    this.#overgrown = false;
    // Ended at a time of --cron or --restart-at: waits for the next time, or starts again now.
    const next = this.#schedules?.ended(run.startedAt, end, this.#lastExit);
    if (next) {
      this.#output.say(
        `${program.name} ${this.#lastExit}${next === "again" ? "; starting it again" : ""}`,
      );
      if (this.#stopping) this.#finish(end, "stopped");
      if (next === "scheduled") return this.#record("scheduled");
      this.#restarts++;
      return this.#start();
    }
    const cause = overgrown ? this.#endCause : "exit";
    this.#endCause = "memory";
    const decision = decideRestart(supervision, this.#history, {
      status: end,
      startedAt: run.startedAt,
      overgrown,
      stopping: this.#stopping,
    }, Date.now());
    if (decision.action === "stop") {
      if (this.#plan.channel || supervision.restart !== "no") {
        const note = decision.reason === "by policy" && supervision.restart !== "no"
          ? "; not restarted"
          : "";
        this.#output.say(`${program.name} ${this.#lastExit}${note}`);
      }
      if (!failed(end) || this.#stopping) this.#finish(end, "stopped");
      const said = `${program.name} ${this.#lastExit}`;
      return this.#last(end, hookEvent("failed", cause, run, end, this.#restarts, said));
    }
    if (decision.action === "give-up") {
      const said = `${program.name} ${this.#lastExit}; ${decision.reason}`;
      this.#output.say(said);
      return this.#last(end, hookEvent("gave-up", cause, run, end, this.#restarts, said));
    }
    this.#history = decision.history;
    const delay = formatDelay(decision.delay);
    const message = `${program.name} ${this.#lastExit}; restarting in ${delay}`;
    this.#output.say(message);
    this.#hook?.fire(hookEvent("restarting", cause, run, end, this.#restarts, message));
    this.#record("restarting", Date.now() + decision.delay);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopping) return;
      const { restartTimes, streak } = this.#history;
      this.#history = { restartTimes: [...restartTimes, Date.now()], streak };
      this.#restarts++;
      this.#start();
    }, decision.delay);
  }

  #onSignal(name: string): void {
    if (REOPEN.has(name)) this.#output.reopen();
    if (STOPPING.has(name)) {
      this.#stopping = true;
      this.#schedules?.stop();
      if (this.#schedules?.runsAtTimes && !this.#run) this.#finish({ code: 0 }, "stopped");
      if (this.#timer !== undefined) {
        // Stopped while waiting to restart: nothing runs, done.
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#finish({ code: 0 }, "stopped");
      }
      // Nothing runs: a last event's hook is waited for, no longer.
      if (!this.#run) this.#hook?.stop();
    }
    // The terminal signalled our whole group, the program included: once is enough.
    if (FROM_TERMINAL.has(name) && inTerminalForeground()) return;
    // A log rotation's HUP or USR2 must not end a program that has no use for it.
    if (REOPEN.has(name) && this.#run) {
      const number = getLibc().constants.signals[name]!;
      if (whyFatal(this.#run.pid, number, name)) return;
    }
    this.#send(name);
  }

  /** Starts the schedules (`cron_runs.ts`), if any; true when the program runs at times only. */
  #schedule(): boolean {
    this.#schedules = CronRuns.of(this.#plan.supervision, {
      running: () => this.#run?.pid ?? null,
      start: () => this.#start(),
      restart: (why) => this.#endOvergrown(why),
      say: (line) => this.#output.say(line),
      changed: () => this.#record(this.#run ? "running" : "scheduled"),
      ready: () => this.#plan.channel?.ready(ownPid()),
      failed: () => this.#finish({ code: 1 }, "failed", !this.#started()),
    });
    return this.#schedules?.runsAtTimes ?? false;
  }

  /** Checks the program's health, if asked to, once the start was judged (see `health_check.ts`). */
  #checkHealth(): void {
    const { health } = this.#plan.supervision;
    if (!health) return;
    this.#health = new HealthCheck(health, this.#plan.program.env, {
      watched: () =>
        this.#stopping || this.#overgrown || !this.#run || !this.#started() ? null : this.#run.pid,
      checked: (result) => {
        this.#lastHealth = result;
        this.#record("running");
      },
      unhealthy: (result, output) => {
        this.#endCause = "health";
        this.#endOvergrown(
          `failed its health check ${result.failures} time${
            result.failures === 1 ? "" : "s"
          } in a row (${result.message})`,
          output.map((line) => `health check output: ${line}`),
        );
      },
    });
    this.#health.start();
  }

  /** Ends a program whose tree stayed above the memory limit (or is unhealthy): SIGTERM, then SIGKILL. */
  #endOvergrown(why: string, details: readonly string[] = []): void {
    this.#overgrown = true;
    this.#output.say(`${this.#plan.program.name} ${why}; restarting it`);
    for (const line of details) this.#output.say(line);
    const run = this.#run;
    this.#send("SIGTERM");
    setTimeout(() => {
      if (this.#run === run) this.#send("SIGKILL");
    }, this.#plan.supervision.killAfter ?? DEFAULTS.stopTimeout);
  }

  /** Sends `name` to the program, through its pidfd. */
  #send(name: string): void {
    const run = this.#run;
    if (!run) return;
    const libc = getLibc();
    const number = libc.constants.signals[name]!;
    try {
      if (run.pidfd !== undefined) libc.pidfdSendSignal(run.pidfd, number);
      else libc.kill(run.pid, number);
    } catch {
      // Ended meanwhile: its exit is on its way.
    }
  }

  /** A last event: the on-failure hook runs (and is waited for), then the supervisor finishes. */
  async #last(end: ExitStatus, event: FailureEvent): Promise<void> {
    const state = event.event === "gave-up" ? "failed" : "stopped";
    if (this.#hook) this.#record(state);
    await this.#hook?.last(event);
    this.#finish(end, state);
  }

  #finish(end: ExitStatus, state: SupervisorRecord["state"], failedStart = false): never {
    this.#hook?.stop();
    this.#stopWatch?.();
    this.#health?.stop();
    this.#watch?.close();
    // A failure is remembered (status shows it); a stop leaves nothing.
    if (state === "failed") this.#record(state);
    else if (this.#plan.pidFile) {
      try {
        removeFile(recordPath(this.#plan.pidFile.path));
      } catch {
        // Left: it names a supervisor that is gone, which status sees.
      }
    }
    this.#output.close();
    if (failedStart) {
      this.#plan.pidFile?.release();
      this.#tellStarter(end);
      exitProgram(1);
    }
    // Processes the program left in the daemon's session are still the
    // daemon: its pid file stays, so that status counts them and stop ends them.
    const left = this.#plan.ownSession ? leftInSession() : [];
    if (left.length) {
      this.#output.say(
        `${this.#plan.program.name} left ${left.length} process${
          left.length === 1 ? "" : "es"
        } running (pid ${left.slice(0, 5).join(", ")}); stop ends them`,
      );
      this.#plan.pidFile?.keep();
      exitProgram(exitStatusOf(end));
    }
    this.#plan.pidFile?.release();
    exitProgram(state === "failed" ? Math.max(1, exitStatusOf(end)) : exitStatusOf(end));
  }
}
