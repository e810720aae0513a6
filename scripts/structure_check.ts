/**
 * The structure gate: reads the import graph from `deno info --json` and
 * fails on an import cycle, or on a library module that imports the command
 * line (`src/cli/`). Prints one line per problem; exit status 1 if any.
 *
 *     deno run -A scripts/structure_check.ts
 *
 * @module
 */
import { dirname, join, relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const root = join(dirname(fromFileUrl(import.meta.url)), "..");

/** The entry points whose graphs together hold every module of the product. */
const ENTRIES = [
  "mod.ts",
  "cli.ts",
  "daemonize.ts",
  "control.ts",
  "manage.ts",
  "notify.ts",
  "logger.ts",
  "every.ts",
  "socket_activation.ts",
  "src/supervisor/main.ts",
];

/** Modules outside `src/cli/` that may import it: the entry points that offer the command. */
const MAY_IMPORT_CLI = new Set(["mod.ts", "cli.ts", "control.ts"]);
/** The `serve` command's own modules (the rest of src/observe/ is library): named `serve_*`. */
const SERVE_COMMAND = /^src\/observe\/serve_[a-z_]+\.ts$/;

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
}

/** Each module of the project (a path from the root) and the project modules it imports. */
export function importGraph(entries: readonly string[] = ENTRIES): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const own = (specifier: string) =>
    specifier.startsWith("file://") ? relative(root, fromFileUrl(specifier)) : undefined;
  for (const entry of entries) {
    const out = new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", join(root, entry)],
      stdout: "piped",
      stderr: "inherit",
    }).outputSync();
    if (!out.success) throw new Error(`deno info ${entry} failed`);
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    for (const module of info.modules) {
      const from = own(module.specifier);
      if (from === undefined || !/\.(ts|js)$/.test(from)) continue;
      const edges = graph.get(from) ?? new Set<string>();
      graph.set(from, edges);
      for (const dep of module.dependencies ?? []) {
        for (const target of [dep.code?.specifier, dep.type?.specifier]) {
          const to = target && own(target);
          if (to && /\.(ts|js)$/.test(to)) edges.add(to);
        }
      }
    }
  }
  return graph;
}

/** The import cycles of `graph`, each as the list of modules around it. */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

/** Library modules that import the command line: `[importer, imported]`. */
export function cliImports(graph: Map<string, Set<string>>): [string, string][] {
  const found: [string, string][] = [];
  for (const [from, edges] of graph) {
    if (from.startsWith("src/cli/") || MAY_IMPORT_CLI.has(from) || SERVE_COMMAND.test(from)) {
      continue;
    }
    for (const to of edges) if (to.startsWith("src/cli/")) found.push([from, to]);
  }
  return found;
}

if (import.meta.main) {
  const graph = importGraph();
  const problems = [
    ...cycles(graph).map((c) => `import cycle: ${c.join(" -> ")}`),
    ...cliImports(graph).map(([a, b]) => `library module ${a} imports the command line (${b})`),
  ];
  for (const line of problems) console.log(line);
  console.log(`${graph.size} modules, ${problems.length} problem(s)`);
  if (problems.length) Deno.exit(1);
}
