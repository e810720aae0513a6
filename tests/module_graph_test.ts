/**
 * What each part of a start loads, read from the import graph (`deno info
 * --json`): every module is start-up time and memory of a daemon, so the
 * daemon loads nothing of the starter, the command line, the supervisor or
 * the toolkit.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { root, runtime, test } from "./harness.ts";

const deno = runtime === "deno" ? Deno.execPath() : join(root, "node_modules", ".bin", "deno");

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/** Each project module (a path from the root) in `entry`'s graph, and what it imports as code. */
function codeImports(entry: string): Map<string, { static: string[]; dynamic: string[] }> {
  const out = spawnSync(deno, ["info", "--json", join(root, entry)], { encoding: "utf8" });
  assert.equal(out.status, 0, `deno info ${entry}: ${out.stderr}`);
  const info = JSON.parse(out.stdout) as { modules: InfoModule[] };
  const own = (specifier: string) =>
    specifier.startsWith("file://") ? relative(root, fileURLToPath(specifier)) : undefined;
  const graph = new Map<string, { static: string[]; dynamic: string[] }>();
  for (const module of info.modules) {
    const from = own(module.specifier);
    if (from === undefined) continue;
    const edges = { static: [] as string[], dynamic: [] as string[] };
    for (const dep of module.dependencies ?? []) {
      const to = dep.code && own(dep.code.specifier);
      if (to) edges[dep.isDynamic ? "dynamic" : "static"].push(to);
    }
    graph.set(from, edges);
  }
  return graph;
}

/** The modules loaded before `entry`'s first line runs: its static imports, followed; no types. */
function loadedBy(entry: string): Set<string> {
  const graph = codeImports(entry);
  const seen = new Set<string>();
  const visit = (module: string) => {
    if (seen.has(module)) return;
    seen.add(module);
    for (const next of graph.get(module)?.static ?? []) visit(next);
  };
  visit(entry);
  return seen;
}

/** What a daemon started from the narrow entry loads: the entry's static graph. */
const daemonLoads = () => loadedBy("daemonize.ts");

/** The modules of `loaded` that `unwanted` matches, for the failure message. */
function found(loaded: Set<string>, unwanted: (module: string) => boolean): string[] {
  return [...loaded].filter(unwanted).sort();
}

const STARTER_HALF = [
  "src/start/starter.ts",
  "src/start/launch.ts",
  "src/start/plan.ts",
  "src/start/ready_probe.ts",
  "src/start/await_ready.ts",
];

test("the narrow daemonize entry loads the starter's half only once the process knows it is the starter", () => {
  const entry = codeImports("src/daemonize.ts").get("src/daemonize.ts")!;
  assert.ok(
    entry.dynamic.includes("src/start/starter.ts"),
    "start/starter.ts imported dynamically",
  );
  assert.ok(
    !entry.static.includes("src/start/starter.ts"),
    "start/starter.ts not imported statically",
  );
});

test("a daemonize() daemon loads no command line, supervisor, logger, every or notify module", () => {
  assert.deepEqual(
    found(daemonLoads(), (m) =>
      m.startsWith("src/cli/") ||
      // Its record's names (the variable, the record's path) are shared, and hold no code.
      (m.startsWith("src/supervisor/") && m !== "src/supervisor/record.ts") ||
      /^src\/toolkit\/(logger|every|notify)\.ts$/.test(m)),
    [],
  );
});

test("a daemonize() daemon loads nothing of the starter's half of a start", () => {
  assert.deepEqual(found(daemonLoads(), (m) => STARTER_HALF.includes(m)), []);
});

test("a daemonize() daemon does not load what only a program's daemon needs", () => {
  assert.deepEqual(
    found(
      daemonLoads(),
      (m) => m === "src/daemon/program.ts" || m === "src/daemon/program_daemon.ts",
    ),
    [],
  );
});
