/**
 * `unit -f FILE` without a name: the whole file as systemd units, a
 * `.target` for the set and a service per daemon, its `after` as `After=`
 * and `Requires=`. Pure: the caller finds each program and reads the file.
 *
 * @module
 */
import { baseName } from "../paths.ts";
import type { FileDaemon } from "./daemon_file.ts";
import type { Unit, UnitFacts } from "./unit.ts";

/** One unit file of a set: its file name and text. */
export interface UnitFile {
  readonly name: string;
  readonly text: string;
}

/** The units of a file's daemons, and each note on what is left out, once. */
export interface UnitSet {
  readonly files: readonly UnitFile[];
  readonly notes: readonly string[];
}

/**
 * The set's name, from the file's path: its name without the extension
 * (`shop.json` → `shop`), or its folder's for the default `daemonize.json`.
 */
export function setName(file: string): string {
  const stem = baseName(file).replace(/\.[^.]*$/, "");
  const folder = baseName(file.slice(0, file.lastIndexOf("/")) || "/");
  const name = stem === "daemonize" && folder !== "" && folder !== "/" ? folder : stem;
  // Unit names take letters, digits and ":-_.\\" only.
  return name.replace(/[^A-Za-z0-9:_.-]/g, "_") || "daemonize";
}

/**
 * The units of `daemons` (of the file at `file`): `unitOf` gives each
 * daemon's service as `daemonize unit` would.
 */
export function unitSet(
  file: string,
  daemons: readonly FileDaemon[],
  unitOf: (d: FileDaemon) => Unit,
  facts: Pick<UnitFacts, "userUnit">,
): UnitSet {
  const set = setName(file);
  const target = `${set}.target`;
  const notes = new Map<string, string[]>();
  const files: UnitFile[] = [{
    name: target,
    text: [
      "[Unit]",
      `Description=${set} (daemonize set of ${daemons.length} daemons, from ${
        file.replaceAll("%", "%%")
      })`,
      `Wants=${daemons.map((d) => `${d.name}.service`).join(" ")}`,
      "",
      "[Install]",
      `WantedBy=${facts.userUnit ? "default.target" : "multi-user.target"}`,
      "",
    ].join("\n"),
  }];
  for (const d of daemons) {
    const unit = unitOf(d);
    for (const note of unit.notes) notes.set(note, [...notes.get(note) ?? [], d.name]);
    const lines = unit.text.split("\n");
    const order = [`PartOf=${target}`];
    if (d.after.length) {
      const services = d.after.map((name) => `${name}.service`).join(" ");
      order.push(`After=${services}`, `Requires=${services}`);
    }
    const description = lines.findIndex((l) => l.startsWith("Description="));
    lines.splice(description + 1, 0, ...order);
    const wanted = lines.findIndex((l) => l.startsWith("WantedBy="));
    // A service of --cron has none: its timer starts it.
    if (wanted >= 0) lines[wanted] = `WantedBy=${target}`;
    files.push({ name: `${d.name}.service`, text: lines.join("\n") }, ...unit.timers ?? []);
  }
  const left = [...notes].map(([note, names]) => `${note} (${names.join(", ")})`);
  // systemd counts a daemon started once it runs (exec) or says READY=1.
  const waited = daemons.filter((d) =>
    !d.parsed.notify && daemons.some((o) => o.after.includes(d.name))
  );
  if (waited.length) {
    left.push(
      `systemd starts what comes after ${
        waited.map((d) => d.name).join(", ")
      } once it runs, not once ready as up does (--notify would say when)`,
    );
  }
  return { files, notes: left };
}
