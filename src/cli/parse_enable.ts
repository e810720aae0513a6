/**
 * The arguments of `enable` and `disable`: which file of daemons comes back
 * at boot, through the system's manager or the user's own.
 *
 * @module
 */
import { eitherOf, scan } from "./args.ts";
import type { Parsed } from "./parsed.ts";
import { quote, UsageError } from "./usage.ts";

/** `enable [-f FILE] [--user] [--after-network] [--print]`, `disable [-f FILE] [--user]`. */
export function parseEnable(command: "enable" | "disable", args: readonly string[]): Parsed {
  const flags = new Set(["--help", "-h", "--user"]);
  if (command === "enable") flags.add("--after-network").add("--print");
  const s = scan(command, args, new Set(["-f", "--file"]), flags, false);
  if (s.flags.has("--help") || s.flags.has("-h")) return { command: "help", topic: command };
  const extra = s.positionals[0] ?? s.rest?.[0];
  if (extra !== undefined) throw new UsageError(`unexpected argument ${quote(extra)}`, command);
  const file = eitherOf(s, "-f", "--file", command);
  if (file === "") throw new UsageError("invalid --file: empty", command);
  return {
    command,
    file,
    user: s.flags.has("--user"),
    afterNetwork: s.flags.has("--after-network"),
    print: s.flags.has("--print"),
  };
}
