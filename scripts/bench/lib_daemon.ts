/**
 * The library form measured by the benchmark: daemonize() with a pid file,
 * then idle. Arguments: PID_FILE [single].
 */
import process from "node:process";
import { daemonize } from "../../mod.ts";

const [pidFile, mode] = process.argv.slice(2);
await daemonize({ pidFile: pidFile!, singleDetach: mode === "single" });
setInterval(() => {}, 1 << 30);
