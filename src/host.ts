/**
 * What the running runtime offers, behind one face: Deno's own API under
 * Deno, the `process` global and Node's built-ins under Bun.
 *
 * Why not `node:` built-ins everywhere: under Deno each costs start-up time
 * (4–19 ms per module, 30+ ms for the set we would need), and every
 * millisecond of start-up is a daemon's start latency. Under Bun they are
 * nearly free and are used.
 *
 * @module
 */

import { getLibc, SysCallError } from "../ffi/libc.ts";

interface NodeFs {
  readdirSync(path: string): string[];
}

interface NodeProcess {
  pid: number;
  ppid: number;
  platform: string;
  arch: string;
  argv: string[];
  execPath: string;
  exitCode?: number | string | undefined;
  cwd(): string;
  chdir(path: string): void;
  exit(code?: number): never;
  on(event: string, listener: (...args: never[]) => void): void;
  off(event: string, listener: (...args: never[]) => void): void;
}

const deno = (globalThis as { Deno?: typeof Deno }).Deno;
// Read lazily: under Deno, merely touching `globalThis.process` loads Node's
// layer (12 ms).
function node(): NodeProcess {
  return (globalThis as unknown as { process: NodeProcess }).process;
}
const bun = (globalThis as { Bun?: { main: string } }).Bun;

let fs: NodeFs | undefined;
function nodeFs(): NodeFs {
  fs ??= (import.meta as unknown as { require(id: string): NodeFs }).require("node:fs");
  return fs;
}

/**
 * Exits 2 with one line on stderr when Deno was not given FFI access, which
 * everything here needs (even writing that line goes through libc otherwise).
 */
export function requireFfi(program: string): void {
  if (!deno || deno.permissions.querySync({ name: "ffi" }).state === "granted") return;
  console.error(
    `${program}: needs FFI access (it calls libc): run it with deno run --allow-ffi, or -A`,
  );
  deno.exit(2);
}

/** Whether the runtime is Deno. */
export const isDeno: boolean = deno !== undefined;

/** The OS, as Node names it (`linux`, `darwin`). */
export const platform: string = deno ? deno.build.os : node().platform;

/** The CPU architecture, as Deno names it (`x86_64`, `aarch64`). */
export const arch: string = deno
  ? deno.build.arch
  : ({ x64: "x86_64", arm64: "aarch64" } as Record<string, string>)[node().arch] ?? node().arch;

/** This process's pid. */
export function pid(): number {
  return deno ? deno.pid : node().pid;
}

/** The parent's pid. */
export function ppid(): number {
  return deno ? deno.ppid : node().ppid;
}

/** The working directory. */
export function cwd(): string {
  return deno ? deno.cwd() : node().cwd();
}

/**
 * Changes directory (after a libc `chdir` already did, for its errno): Bun
 * keeps its own copy of the working directory, which must follow.
 */
export function followChdir(path: string): void {
  if (!deno) node().chdir(path);
}

/** Exits with `code`. */
export function exit(code: number): never {
  return deno ? deno.exit(code) : node().exit(code);
}

/**
 * Exits with `code` the way a program's own `process.exit()` would, so its
 * `process.on("exit")` listeners run under Deno too (Node's layer is loaded
 * then, if the program had not loaded it: a cost paid only at exit).
 */
export function exitProgram(code: number): never {
  return (globalThis as unknown as { process: NodeProcess }).process.exit(code);
}

/** The runtime executable (or the compiled program) as an absolute path. */
export function execPath(): string {
  return deno ? deno.execPath() : node().execPath;
}

/** The program's main module. */
export function mainModule(): string {
  return deno?.mainModule ?? bun?.main ?? node().argv[1] ?? "";
}

/** The program's own arguments. */
export function scriptArgs(): string[] {
  return deno ? [...deno.args] : node().argv.slice(2);
}

/** Listens for a signal; returns the function that stops listening. */
export function onSignal(signal: string, listener: () => void): () => void {
  if (deno) {
    deno.addSignalListener(signal as Deno.Signal, listener);
    return () => deno.removeSignalListener(signal as Deno.Signal, listener);
  }
  node().on(signal, listener);
  return () => node().off(signal, listener);
}

/** Runs `listener` with the exit status when the process exits normally. */
export function onExit(listener: (code: number) => void): () => void {
  if (deno) {
    const onUnload = () => listener(deno.exitCode);
    globalThis.addEventListener("unload", onUnload);
    return () => globalThis.removeEventListener("unload", onUnload);
  }
  const onNodeExit = (code: number) => listener(code);
  node().on("exit", onNodeExit);
  return () => node().off("exit", onNodeExit);
}

/**
 * Runs `listener` instead of the default (print and exit) for an uncaught
 * exception or unhandled rejection.
 */
export function onUncaught(listener: (error: unknown) => void): () => void {
  if (deno) {
    const onError = (event: ErrorEvent) => {
      event.preventDefault();
      listener(event.error);
    };
    const onRejection = (event: PromiseRejectionEvent) => {
      event.preventDefault();
      listener(event.reason);
    };
    globalThis.addEventListener("error", onError);
    globalThis.addEventListener("unhandledrejection", onRejection);
    return () => {
      globalThis.removeEventListener("error", onError);
      globalThis.removeEventListener("unhandledrejection", onRejection);
    };
  }
  const onError = (error: unknown) => listener(error);
  node().on("uncaughtException", onError);
  node().on("unhandledRejection", onError);
  return () => {
    node().off("uncaughtException", onError);
    node().off("unhandledRejection", onError);
  };
}

/** A timer that does not keep the process alive. */
export function backgroundTimer(callback: () => void, ms: number): void {
  const timer = setTimeout(callback, ms) as unknown;
  if (deno) deno.unrefTimer(timer as number);
  else (timer as { unref(): void }).unref();
}

/**
 * Writes to standard output, synchronously (libc: Bun's streams cost 8 ms to
 * set up). A reader that went away (EPIPE) is not this command's failure.
 */
export function writeOut(text: string): void {
  writeIgnoringClosedPipe(1, text);
}

/** Writes to standard error, synchronously; EPIPE is let go, as for stdout. */
export function writeErr(text: string): void {
  writeIgnoringClosedPipe(2, text);
}

function writeIgnoringClosedPipe(fd: number, text: string): void {
  try {
    getLibc().writeAll(fd, text);
  } catch (error) {
    if (!(error instanceof SysCallError && error.code === "EPIPE")) throw error;
  }
}

/**
 * What a pipe brings, chunk by chunk, to its end, without blocking the event
 * loop. Deno reads on another thread through FFI (its node:fs knows no raw
 * descriptors); Bun on its own event loop (`Bun.file`), with no thread.
 * The descriptor is left open.
 */
export async function* pipeChunks(fd: number): AsyncGenerator<Uint8Array> {
  if (deno) {
    const buffer = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await getLibc().readWaiting(fd, buffer);
      if (n <= 0) return;
      yield buffer.subarray(0, n);
    }
  }
  const file = (globalThis as unknown as {
    Bun: { file(fd: number): { stream(): ReadableStream<Uint8Array> } };
  }).Bun.file(fd);
  const reader = file.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** Whether standard output is a terminal. */
export function stdoutIsTerminal(): boolean {
  return getLibc().isTerminal(1);
}

/** Creates a directory and its parents (libc: Bun's node:fs costs 2 ms to load). */
export function makeDirectory(path: string, mode: number): void {
  const libc = getLibc();
  let at = "";
  // A relative path is made where it will be used: under the current directory.
  const absolute = path.startsWith("/") ? path : `${cwd()}/${path}`;
  for (const part of absolute.split("/").filter(Boolean)) {
    at += `/${part}`;
    try {
      libc.mkdir(at, mode);
    } catch (error) {
      if (!(error instanceof SysCallError && error.code === "EEXIST")) throw error;
    }
  }
}

/**
 * Replaces `path` at once with `text`, created with `mode` (never through a
 * symbolic link): written beside it, then renamed over it. `durable`: on the
 * disk before the rename, so that a power loss leaves the old text or the
 * new one, never an empty file (for state kept across reboots).
 */
export function writeTextFile(path: string, text: string, mode: number, durable = false): void {
  const libc = getLibc();
  const c = libc.constants;
  const temporary = `${path}.${pid()}`;
  // A file already there (left by a crash, or planted) is not reused.
  try {
    libc.unlink(temporary);
  } catch {
    // None: the usual case.
  }
  const fd = libc.open(
    temporary,
    c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW | c.O_CLOEXEC,
    mode,
  );
  try {
    try {
      libc.fchmod(fd, mode);
      libc.writeAll(fd, text);
      if (durable) libc.fsync(fd);
    } finally {
      libc.close(fd);
    }
    libc.rename(temporary, path);
  } catch (error) {
    try {
      libc.unlink(temporary);
    } catch {
      // Gone already.
    }
    throw error;
  }
}

/** A text file's content, or undefined when it can't be read. */
export function readTextFileIfAny(path: string): string | undefined {
  try {
    return getLibc().readTextFile(path);
  } catch {
    return undefined;
  }
}

/** Removes a file; false when there was none. */
export function removeFile(path: string): boolean {
  try {
    getLibc().unlink(path);
    return true;
  } catch (error) {
    if (error instanceof SysCallError && error.code === "ENOENT") return false;
    throw error;
  }
}

/** Changes the working directory (for libc and for the runtime). */
export function changeDirectory(path: string): void {
  getLibc().chdir(path);
  followChdir(path);
}

/** The effective user id. */
export function effectiveUid(): number {
  return getLibc().ids().euid;
}

/** A user's home directory from the user database. */
export function homeOf(uid: number): string | undefined {
  return getLibc().account(uid)?.home;
}

/** An environment variable, read from libc (no permission needed under Deno). */
export function getenv(name: string): string | undefined {
  return getLibc().getenv(name);
}

/** The names in a directory. */
export function readDirectory(path: string): string[] {
  const listed = getLibc().listDirectory(path);
  if (listed) return listed;
  if (deno) return [...deno.readDirSync(path)].map((entry) => entry.name);
  return nodeFs().readdirSync(path);
}
