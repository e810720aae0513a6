/**
 * Starts one run of a supervised program, as the supervisor's child: its
 * environment names the supervisor, the signals the supervisor handles are
 * reset, and sockets passed by socket activation go on with it.
 *
 * @module
 */
import { type FileAction, getLibc } from "../../ffi/libc.ts";
import { pid as ownPid } from "../host.ts";
import { passedDescriptors } from "../daemon/socket_activation.ts";
import { RESET_SIGNALS } from "../daemon/signals.ts";
import type { SupervisedProgram } from "./plan.ts";
import { SUPERVISOR_VARIABLE } from "./record.ts";

/**
 * Spawns `program` with `output`'s file actions (its captured streams);
 * returns its pid. Throws when it can't be executed (ENOENT, EACCES).
 */
export function spawnProgram(program: SupervisedProgram, output: readonly FileAction[]): number {
  const libc = getLibc();
  const env = [
    ...program.env.filter((entry) => !entry.startsWith(`${SUPERVISOR_VARIABLE}=`)),
    `${SUPERVISOR_VARIABLE}=${ownPid()}`,
  ];
  // Sockets passed by socket activation stay on 3, 4, …, and the program,
  // not this supervisor, is named by LISTEN_PID: a shell sets it, then
  // executes the program.
  const listen = passedDescriptors();
  const command = listen
    ? {
      path: "/bin/sh",
      argv: [
        "sh",
        "-c",
        'LISTEN_PID=$$; export LISTEN_PID; exec "$@"',
        "sh",
        program.path,
        ...program.argv.slice(1),
      ],
    }
    : program;
  return libc.spawn({
    path: command.path,
    argv: command.argv,
    env,
    newSession: false,
    defaultSignals: RESET_SIGNALS.map((name) => libc.constants.signals[name]!),
    fileActions: [...output, { closeFrom: 3 + listen }],
  });
}
