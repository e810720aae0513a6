/**
 * The entry point of the `daemonize` executable (`scripts/build.ts` compiles
 * this file): the same command as `deno run -A mod.ts`, with the command's
 * modules loaded up front rather than on demand.
 *
 * @module
 */
import { main } from "./src/cli/main.ts";
import { exit, getenv, scriptArgs } from "./src/host.ts";
import { PLAN_VARIABLE } from "./src/supervisor/record.ts";

// A daemon's supervisor, handed over from its set-up (see src/supervisor/handoff.ts).
if (getenv(PLAN_VARIABLE) !== undefined) await import("./src/supervisor/main.ts");
else exit(await main(scriptArgs()));
