/**
 * The library form measured by the benchmark: daemonize() with a pid file,
 * then idle. Arguments: PID_FILE [single]. It loads nothing the bare idle
 * script (idle.ts) does not, but the library: its memory is the library's.
 */
import { daemonize } from "../../mod.ts";

const runtime = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
const [pidFile, mode] = runtime.Deno?.args ?? runtime.process!.argv.slice(2);
await daemonize({ pidFile: pidFile!, singleDetach: mode === "single" });
setInterval(() => {}, 1 << 30);
