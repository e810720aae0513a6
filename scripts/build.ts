/**
 * Builds the self-contained `daemonize` executable at dist/daemonize.
 *
 * `deno compile` is tried first; it needs to download Deno's runtime for
 * executables (denort), which fails on machines without access to it. Then
 * `bun build --compile` is used, which needs nothing from the network.
 *
 *   deno run -A scripts/build.ts [--bun]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { failureReason } from "./failure_reason.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const output = join(root, "dist", "daemonize");
mkdirSync(dirname(output), { recursive: true });

function tool(name: string): string {
  const local = join(root, "node_modules", ".bin", name);
  try {
    statSync(local);
    return local;
  } catch {
    return name;
  }
}

function attempt(label: string, command: string[], timeout: number, file = output): boolean {
  const started = Date.now();
  const result = spawnSync(command[0]!, command.slice(1), {
    cwd: root,
    encoding: "utf8",
    timeout,
    env: { ...process.env, NO_COLOR: "1" },
  });
  const ms = Date.now() - started;
  if (result.status === 0) {
    console.log(`built ${file} with ${label} in ${ms} ms`);
    return true;
  }
  console.error(`${label} failed after ${ms} ms: ${failureReason(result.stderr, result.error)}`);
  return false;
}

/** The executable `file`, built by Bun (for `target`, else this system). */
function bunBuild(file: string, target?: string): string[] {
  return [
    tool("bun"),
    "build",
    "--compile",
    // Less to parse at every start of the executable (about a millisecond).
    "--minify",
    // Compiled ahead to bytecode: no parsing at all at a start (about 7 ms
    // of a status's 16, for 2 MB more executable).
    "--bytecode",
    "--format=esm",
    ...(target ? [`--target=${target}`] : []),
    "cli.ts",
    "--outfile",
    file,
  ];
}

const onlyBun = process.argv.includes("--bun");
const built = (!onlyBun &&
  attempt("deno compile", [
    tool("deno"),
    "compile",
    "-A",
    "--output",
    output,
    "cli.ts",
  ], 60_000)) ||
  attempt("bun build --compile", bunBuild(output), 120_000);
// The same for musl systems (Alpine), when Bun can fetch that runtime: it
// needs musl's libc, libstdc++ and libgcc there. Not having it is said, not
// a failed build.
if (built && !process.argv.includes("--no-musl")) {
  const musl = join(root, "dist", "daemonize-musl");
  const target = "bun-linux-x64-musl";
  if (!attempt(`bun build --compile --target=${target}`, bunBuild(musl, target), 120_000, musl)) {
    console.log(`no musl executable (${musl}): its runtime could not be fetched`);
  }
}
process.exit(built ? 0 : 1);
