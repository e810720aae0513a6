/**
 * The entry point of the `daemonize` executable (`scripts/build.ts` compiles
 * this file): the same command as `deno run -A mod.ts`, with the command's
 * modules loaded up front rather than on demand.
 *
 * @module
 */
import { main } from "./src/cli/main.ts";
import { exit, scriptArgs } from "./src/host.ts";

exit(await main(scriptArgs()));
