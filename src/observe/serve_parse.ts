/**
 * The arguments of `serve`: where it listens (an address and port, or a
 * unix socket) and whether it takes control requests. Pure: no I/O.
 *
 * @module
 */
import { scan } from "../cli/args.ts";
import { quote, UsageError } from "../cli/usage.ts";

/** The address `serve` listens on unless told. */
export const DEFAULT_LISTEN = { host: "127.0.0.1", port: 9321 } as const;

/** What `serve` was asked to do. */
export interface ServeCommand {
  readonly command: "serve";
  /** The TCP address and port (the default unless `--socket`). */
  readonly listen: { readonly host: string; readonly port: number } | undefined;
  /** A unix socket's path instead. */
  readonly socket: string | undefined;
  /** Take `POST /api/daemons/NAME/restart|stop|start` (with the token). */
  readonly control: boolean;
  /** The file holding the bearer token (mode 0600). */
  readonly tokenFile: string | undefined;
}

/** `ADDR:PORT`, `[V6ADDR]:PORT` or `:PORT` (on the default address). */
export function parseListen(value: string): { host: string; port: number } {
  const bad = (why: string) => new UsageError(`invalid --listen ${quote(value)}: ${why}`, "serve");
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):([0-9]+)$/.exec(value);
  if (!m) throw bad("expected ADDR:PORT (as 127.0.0.1:9321 or [::1]:9321)");
  const host = m[1] ?? (m[2] || DEFAULT_LISTEN.host);
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad("the port is not 1-65535");
  return { host, port };
}

/** `serve [--listen ADDR:PORT | --socket PATH] [--control] [--token-file PATH]`. */
export function parseServe(args: readonly string[]): ServeCommand | {
  command: "help";
  topic: string;
} {
  const values = new Set(["--listen", "--socket", "--token-file"]);
  const s = scan("serve", args, values, new Set(["--help", "-h", "--control"]), false);
  if (s.flags.has("--help") || s.flags.has("-h")) return { command: "help", topic: "serve" };
  const extra = s.positionals[0] ?? s.rest?.[0];
  if (extra !== undefined) throw new UsageError(`unexpected argument ${quote(extra)}`, "serve");
  const one = (flag: string): string | undefined => {
    const given = s.values.get(flag) ?? [];
    if (given.length > 1) throw new UsageError(`${flag} given more than once`, "serve");
    if (given[0] === "") throw new UsageError(`invalid ${flag}: empty`, "serve");
    return given[0];
  };
  const listen = one("--listen");
  const socket = one("--socket");
  const tokenFile = one("--token-file");
  if (listen !== undefined && socket !== undefined) {
    throw new UsageError("give --listen or --socket, not both", "serve");
  }
  const control = s.flags.has("--control");
  if (control && tokenFile === undefined) {
    throw new UsageError("--control needs --token-file PATH (the bearer token)", "serve");
  }
  return {
    command: "serve",
    listen: socket !== undefined ? undefined : listen ? parseListen(listen) : { ...DEFAULT_LISTEN },
    socket,
    control,
    tokenFile,
  };
}
