/**
 * The supervisor: one small process of ours that is a program's parent and
 * carries out what is decided about it. It holds the daemon's identity (its
 * pid file names the supervisor), passes the signals it is sent on to the
 * program, starts the program again as `decision.ts` decides, has its
 * output captured (`capture.ts`), has it watched (`watchers.ts`: its memory,
 * its health, changes to its files, its schedules), waits for all of a run
 * before a planned restart (`planned_restart.ts`), reaps orphans when it is
 * a container's PID 1, and exits after the program when told to stop
 * (`exit_after.ts`).
 *
 * What it is doing is kept beside the pid file (`PATH.supervisor`, JSON,
 * `record_file.ts`), for `status` and `reload`.
 *
 * @module
 */
import { type ExitStatus, getLibc } from "../../ffi/libc.ts";
import { DEFAULTS } from "../defaults.ts";
import { onSignal, pid as ownPid } from "../host.ts";
import { FORWARDED_SIGNALS } from "../daemon/signals.ts";
import { describeEnd } from "../text.ts";
import { releaseExecutablePages } from "../daemon/memory.ts";
import { readStat } from "../process/proc.ts";
import { OutputCapture } from "./capture.ts";
import { NO_RESTARTS, type RestartHistory } from "./decision.ts";
import { exitAfter } from "./exit_after.ts";
import { failed, type FailureHook, failureHookFor, hookEvent } from "./failure_hook.ts";
import type { FailureCause, FailureEvent } from "./failure_event.ts";
import type { Orphan } from "./orphan.ts";
import { pidfdOf } from "./output_keeper.ts";
import type { SupervisorPlan } from "./plan.ts";
import { PlannedRestart } from "./planned_restart.ts";
import { policyOutcome } from "./policy_outcome.ts";
import type { HealthResult, RestartPolicy, SupervisorRecord } from "./record.ts";
import { removeRecord, writeRecord } from "./record_file.ts";
import { endRun, type Run, signalRun, toldEnd } from "./run.ts";
import { recordOwnSession } from "./session.ts";
import { passedOn, REOPEN, STOPPING } from "./signal_passing.ts";
import { spawnProgram } from "./spawn.ts";
import { superviseAgain } from "./take_over.ts";
import { startJudged, tellStarter } from "./starter_word.ts";
import { type EndCause, startWatchers, type Watchers } from "./watchers.ts";

// Where the library and the command line have always found them.
export type { RestartPolicy };
export type { Supervision, SupervisorPlan } from "./plan.ts";

/** When the supervisor hands back the pages it needed to start (ms). */
const TRIM_AFTER = 2000;

/** Runs the supervisor; it lives on as the program's parent, and exits after it. */
export function supervise(plan: SupervisorPlan): void {
  new Supervisor(plan).begin();
}

class Supervisor {
  readonly #plan: SupervisorPlan;
  readonly #output: OutputCapture;
  readonly #hook: FailureHook | undefined;
  readonly #planned: PlannedRestart;
  #watchers: Watchers | undefined;
  #run: Run | undefined;
  #history: RestartHistory = NO_RESTARTS;
  #restarts = 0;
  #stopping = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastExit: string | null = null;
  /** The run was ended by the supervisor (`#endRun`): it is started again whatever the policy. */
  #overgrown = false;
  /** The daemon's recorded session is the one a taken-over program ran in. */
  #adoptedSession = false;
  #lastHealth: HealthResult | undefined;
  /** Why a run ended by the supervisor (`#overgrown`) ends, for the on-failure hook. */
  #endCause: FailureCause = "memory";

  constructor(plan: SupervisorPlan) {
    this.#plan = plan;
    this.#output = new OutputCapture(plan.program, plan.supervision);
    const say = (line: string) => this.#output.say(line);
    this.#hook = failureHookFor(plan, say);
    this.#planned = new PlannedRestart(plan, say);
  }

  /**
   * The daemon's life, step by step: pass signals on; reap every child;
   * start the watchers; take the program over or start it (not yet, when it
   * runs at times only); tell the starter; hand back what starting cost;
   * live on until `#finish` exits.
   */
  begin(): void {
    for (const name of FORWARDED_SIGNALS) onSignal(name, () => this.#onSignal(name));
    // We spawn (and reap) our children ourselves: orphans too, as PID 1.
    onSignal("SIGCHLD", () => this.#reap());
    this.#watchers = this.#watch();
    // A program taken over keeps its schedules; with --cron, a run starts at its time.
    if (this.#plan.adopt) this.#adopt(this.#plan.adopt);
    else if (!this.#watchers.schedules?.runsAtTimes) this.#start();
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

  /** Starts the watchers the plan asks for: memory, health, changes, schedules. */
  #watch(): Watchers {
    return startWatchers(this.#plan, {
      endable: () => this.#stopping || this.#overgrown ? null : this.#run?.pid ?? null,
      started: () => this.#started(),
      running: () => this.#run?.pid ?? null,
      end: (cause, why, details) => this.#endRun(cause, why, details),
      start: () => this.#start(),
      say: (line) => this.#output.say(line),
      checked: (result) => {
        this.#lastHealth = result;
        this.#record("running");
      },
      changed: () => this.#record(this.#run ? "running" : "scheduled"),
      ready: () => this.#plan.channel?.ready(ownPid()),
      failed: () => this.#finish({ code: 1 }, "failed", !this.#started()),
    });
  }

  /** Whether the start was judged a success (the starter left), so ends are restarted. */
  #started(): boolean {
    return startJudged(this.#plan.channel);
  }

  /** Writes the record (`record_file.ts`): the daemon is in `state`. */
  #record(state: SupervisorRecord["state"], nextStart?: number): void {
    const { pidFile, supervision } = this.#plan;
    if (!pidFile) return;
    writeRecord(pidFile.path, {
      state,
      run: state === "running" ? this.#run : undefined,
      restarts: this.#restarts,
      lastExit: this.#lastExit,
      restartPolicy: supervision.restart,
      health: this.#lastHealth,
      droppedLines: this.#output.droppedLines,
      nextStart,
      watch: this.#watchers?.changes?.record(),
      schedules: this.#watchers?.schedules?.facts(),
    });
  }

  /** Takes over the program a killed supervisor left running (`take_over.ts`). */
  #adopt(orphan: Orphan): void {
    this.#restarts = orphan.restarts;
    this.#adoptedSession = true;
    superviseAgain(orphan, this.#output, this.#plan.program.name, {
      taken: (run) => void (this.#run = run),
      supervised: () => this.#record("running"),
      current: (run) => this.#run === run,
      ended: (run, end) => this.#onEnd(run, end),
    });
  }

  /** Starts a run of the program; one that cannot be executed is a last event. */
  #start(): void {
    const { program } = this.#plan;
    // From now on the daemon's processes are in this supervisor's session.
    if (this.#adoptedSession) recordOwnSession(this.#plan.pidFile);
    this.#adoptedSession = false;
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

  /** Starts the program again: one more restart. */
  #startAgain(): void {
    this.#restarts++;
    this.#start();
  }

  /** Reaps every child that ended: the program's end, or an orphan's (as PID 1). */
  #reap(): void {
    for (;;) {
      const reaped = getLibc().reapAny();
      if (!reaped) return;
      if (this.#watchers?.health?.reaped(reaped.pid, reaped.status)) continue;
      if (this.#hook?.reaped(reaped.pid, reaped.status)) continue;
      if (this.#run && reaped.pid === this.#run.pid) this.#onEnd(this.#run, reaped.status);
    }
  }

  /** Carries out the end of `run` (`#ended`); what fails there is said on stderr. */
  #onEnd(run: Run, end: ExitStatus): void {
    this.#ended(run, end).catch((error) => {
      console.error(`daemonize: supervisor: ${(error as Error).message}`);
    });
  }

  /**
   * The run ended: the start fails (the starter still judged it), or it is
   * started again for a change, at a time of a schedule, or as the restart
   * policy decides.
   */
  async #ended(run: Run, end: ExitStatus): Promise<void> {
    if (this.#run !== run) return;
    this.#run = undefined;
    if (run.pidfd !== undefined) getLibc().close(run.pidfd);
    // Ended while the starter judges it: the start fails; it is told now,
    // before the wait for the last output, which may outlast its grace period.
    const started = this.#started();
    if (!started) tellStarter(this.#plan.channel, end);
    await run.output.end();
    const told = toldEnd(run, end);
    this.#lastExit = told;
    // Ended while the starter judges it: the start fails, with its status.
    if (!started) return this.#finish(end, "stopped", true);
    if (await this.#restartedForChange(told)) return;
    const overgrown = this.#overgrown;
    this.#overgrown = false;
    if (await this.#endedOnSchedule(run, end, told)) return;
    return this.#restartByPolicy(run, end, told, overgrown);
  }

  /** Ended for a change: started again once all of it is gone, at once, no failure counted. */
  async #restartedForChange(told: string): Promise<boolean> {
    const changes = this.#watchers?.changes;
    if (!changes?.pending || this.#stopping) return false;
    this.#overgrown = false;
    this.#record("restarting");
    await this.#planned.lastRunGone();
    changes.restarting(`${this.#plan.program.name} ${told}`);
    if (this.#stopping) return false;
    this.#startAgain();
    return true;
  }

  /**
   * Ended at a time of --cron or --restart-at: waits for the next time of
   * --cron, or starts again once all of the run is gone (a planned restart:
   * at once, no failure counted); false when no schedule had a say.
   */
  async #endedOnSchedule(run: Run, end: ExitStatus, told: string): Promise<boolean> {
    const next = this.#watchers?.schedules?.ended(run.startedAt, end, told);
    if (!next) return false;
    if (next === "again" && !this.#stopping) {
      this.#record("restarting");
      await this.#planned.lastRunGone();
    }
    const again = next === "again" ? "; starting it again" : "";
    this.#output.say(`${this.#plan.program.name} ${told}${again}`);
    if (this.#stopping) this.#finish(end, "stopped");
    if (next === "scheduled") this.#record("scheduled");
    else this.#startAgain();
    return true;
  }

  /** Stops, gives up, or starts the program again after a delay, as the policy decides. */
  async #restartByPolicy(
    run: Run,
    end: ExitStatus,
    told: string,
    overgrown: boolean,
  ): Promise<void> {
    const cause = overgrown ? this.#endCause : "exit";
    this.#endCause = "memory";
    const stopping = this.#stopping;
    const ended = { run, end, told, cause, overgrown, stopping, restarts: this.#restarts };
    const next = policyOutcome(this.#plan, this.#history, ended, Date.now());
    if (next.line !== undefined) this.#output.say(next.line);
    if (next.action !== "restart") {
      if (next.action === "stop" && (!failed(end) || stopping)) this.#finish(end, "stopped");
      return await this.#last(end, next.event);
    }
    this.#history = next.history;
    this.#hook?.fire(next.event);
    this.#record("restarting", Date.now() + next.delay);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopping) return;
      const { restartTimes, streak } = this.#history;
      this.#history = { restartTimes: [...restartTimes, Date.now()], streak };
      this.#startAgain();
    }, next.delay);
  }

  #onSignal(name: string): void {
    if (REOPEN.has(name)) this.#output.reopen();
    if (STOPPING.has(name)) {
      this.#stopping = true;
      const schedules = this.#watchers?.schedules;
      schedules?.stop();
      if (schedules?.runsAtTimes && !this.#run) this.#finish({ code: 0 }, "stopped");
      if (this.#timer !== undefined) {
        // Stopped while waiting to restart: nothing runs, done.
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#finish({ code: 0 }, "stopped");
      }
      // Nothing runs: a last event's hook is waited for, no longer.
      if (!this.#run) this.#hook?.stop();
    }
    if (passedOn(name, this.#run?.pid)) this.#send(name);
  }

  /**
   * Ends the run for `cause` (its memory, its health, a planned restart,
   * whose whole tree is noted first): SIGTERM, then SIGKILL.
   */
  #endRun(cause: EndCause, why: string, details: readonly string[] = []): void {
    const run = this.#run;
    if (cause !== "planned") this.#endCause = cause;
    else if (run) this.#planned.ending(run.pid);
    this.#overgrown = true;
    this.#output.say(`${this.#plan.program.name} ${why}; restarting it`);
    for (const line of details) this.#output.say(line);
    const killAfter = this.#plan.supervision.killAfter ?? DEFAULTS.stopTimeout;
    if (run) endRun(run, killAfter, () => this.#run === run);
  }

  /** Sends `name` to the program, through its pidfd. */
  #send(name: string): void {
    if (this.#run) signalRun(this.#run, name);
  }

  /** A last event: the on-failure hook runs (and is waited for), then the supervisor finishes. */
  async #last(end: ExitStatus, event: FailureEvent): Promise<void> {
    // Failed and not started again (given up, or `--restart no` for a daemon
    // `start` started): status says failed, and how. `run` passes it on instead.
    const state = event.event === "gave-up" || this.#plan.channel ? "failed" : "stopped";
    if (this.#hook) this.#record(state);
    await this.#hook?.last(event);
    this.#finish(end, state);
  }

  #finish(end: ExitStatus, state: SupervisorRecord["state"], failedStart = false): never {
    this.#hook?.stop();
    this.#watchers?.stop();
    // A failure is remembered (status shows it); a stop leaves nothing.
    if (state === "failed") this.#record(state);
    else if (this.#plan.pidFile) removeRecord(this.#plan.pidFile.path);
    this.#output.close();
    const how = { failed: state === "failed", failedStart };
    return exitAfter(this.#plan, end, how, (line) => this.#output.say(line));
  }
}
