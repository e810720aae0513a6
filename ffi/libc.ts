/**
 * The runtime-neutral libc interface that the rest of the code imports:
 * {@link getLibc}, plain TypeScript values in and out, no pointers. Its last
 * layer, here, holds the calls that set who and where a process runs (the
 * `identity` table); the layers below hold the rest (`core_calls.ts`,
 * `process_calls.ts`), each symbol bound on its first call, never at import.
 *
 * A failing call throws {@link SysCallError}.
 *
 * @module
 */
import type { Pointer } from "./backend.ts";
import { checkZero, isNull, runtimeBackend, SysCallError } from "./binding.ts";
import { type Account, cString, decodePasswd, encodeRlimit, type StructReader } from "./layout.ts";
import { platformConstants } from "./platform.ts";
import { cStringArray } from "./posix_spawn.ts";
import { ProcessCalls } from "./process_calls.ts";

export { SysCallError };
export type { Account, ExitStatus, FileId } from "./layout.ts";
export type { FileAction, SpawnRequest } from "./posix_spawn.ts";

/** The libc functions this project calls, free of pointers. */
export class Libc extends ProcessCalls {
  /** `execve(2)`: replaces this process; returns only by throwing. */
  execve(path: string, argv: readonly string[], env: readonly string[]): never {
    const keep: Uint8Array[] = [];
    const address = (buffer: Uint8Array) => this.ffi.address(buffer);
    const result = this.identityFns.execve!(
      cString(path),
      cStringArray(argv, keep, address),
      cStringArray(env, keep, address),
    );
    this.check("execve", result);
    throw new SysCallError("execve", 0);
  }
  /** Whether the real user may execute `path` (`access(2)` with `X_OK`). */
  canExecute(path: string): boolean {
    return Number(this.identityFns.access!(cString(path), this.constants.X_OK)) === 0;
  }
  /** `chroot(2)`. */
  chroot(path: string): void {
    this.check("chroot", this.identityFns.chroot!(cString(path)));
  }
  /** `chdir(2)`. */
  chdir(path: string): void {
    this.check("chdir", this.identityFns.chdir!(cString(path)));
  }
  /** `umask(2)`; returns the previous mask. */
  umask(mask: number): number {
    return Number(this.identityFns.umask!(mask));
  }
  /** `setrlimit(2)` with equal soft and hard limits. */
  setrlimit(resource: number, limit: number): void {
    this.check("setrlimit", this.identityFns.setrlimit!(resource, encodeRlimit(limit, limit)));
  }
  /**
   * Blocks (`true`) or unblocks `signals` in this thread (`pthread_sigmask`).
   * A blocked signal waits, pending, until unblocked; the mask outlives an
   * `execve`, and threads started later inherit it.
   */
  blockSignals(signals: readonly number[], block: boolean): void {
    const s = this.spawnFns;
    const c = this.constants;
    const set = new Uint8Array(c.sigsetSize);
    s.sigemptyset!(set);
    for (const signal of signals) s.sigaddset!(set, signal);
    checkZero(
      "pthread_sigmask",
      s.pthread_sigmask!(block ? c.SIG_BLOCK : c.SIG_UNBLOCK, set, null),
    );
  }
  /** Sets a signal's disposition to ignore (`true`) or default (`false`). */
  ignoreSignal(signal: number, ignore: boolean): void {
    const { SIG_IGN, SIG_DFL } = this.constants;
    const result = this.identityFns.signal!(signal, ignore ? SIG_IGN : SIG_DFL);
    // SIG_ERR: (sighandler_t) -1.
    if (BigInt(result as number | bigint) === 0xffffffffffffffffn) {
      throw new SysCallError("signal", this.errno());
    }
  }
  /** Real and effective user and group ids. */
  ids(): { uid: number; euid: number; gid: number; egid: number } {
    const i = this.identityFns;
    return {
      uid: Number(i.getuid!()),
      euid: Number(i.geteuid!()),
      gid: Number(i.getgid!()),
      egid: Number(i.getegid!()),
    };
  }
  /** `setuid(2)`. */
  setuid(uid: number): void {
    this.check("setuid", this.identityFns.setuid!(uid));
  }
  /** `setgid(2)`. */
  setgid(gid: number): void {
    this.check("setgid", this.identityFns.setgid!(gid));
  }
  /** `setgroups(2)`. */
  setgroups(gids: readonly number[]): void {
    const list = new Uint32Array(gids);
    this.check(
      "setgroups",
      this.identityFns.setgroups!(gids.length, new Uint8Array(list.buffer)),
    );
  }
  /** `initgroups(3)`. */
  initgroups(user: string, gid: number): void {
    this.check("initgroups", this.identityFns.initgroups!(cString(user), gid));
  }
  /** Looks a user up by name or id; undefined if there is none. */
  account(user: string | number): Account | undefined {
    const i = this.identityFns;
    const entry = typeof user === "number" ? i.getpwuid!(user) : i.getpwnam!(cString(user));
    return isNull(entry) ? undefined : decodePasswd(this.#reader(entry), this.constants.passwd);
  }
  /** Looks a group up by name or id; returns its gid, undefined if none. */
  groupId(group: string | number): number | undefined {
    const i = this.identityFns;
    const entry = typeof group === "number" ? i.getgrgid!(group) : i.getgrnam!(cString(group));
    return isNull(entry) ? undefined : this.#reader(entry).u32(this.constants.groupGid);
  }
  /** Reads the struct that libc returned at `entry`. */
  #reader(entry: Pointer): StructReader {
    const ffi = this.ffi;
    return {
      u32: (offset) => ffi.readU32(entry, offset),
      string: (offset) => {
        const pointer = ffi.readPointer(entry, offset);
        return isNull(pointer) ? undefined : ffi.readCString(pointer);
      },
    };
  }
}

let libc: Libc | undefined;

/** The libc binding for the running runtime and OS, created on first use. */
export function getLibc(): Libc {
  if (libc) return libc;
  const ffi = runtimeBackend();
  const constants = platformConstants(ffi.os());
  if (!constants) {
    throw new Error(`Cannot bind libc: unsupported operating system "${ffi.os()}"`);
  }
  libc = new Libc(ffi, constants);
  return libc;
}
