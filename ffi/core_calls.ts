/**
 * The calls every command makes, bound from the `core` table: files and
 * descriptors, directories, the environment, the clock, and signals to a
 * process by pid or pidfd.
 *
 * @module
 */
import { isNull, LibcBinding, SysCallError } from "./binding.ts";
import {
  cString,
  decodeDirents,
  decodeStat,
  decodeText,
  decodeTimespecMicroseconds,
  type FileId,
  STAT_BYTES,
  TIMESPEC_BYTES,
} from "./layout.ts";

const encoder = new TextEncoder();

/** The first layer of `Libc`: the `core` calls, free of pointers. */
export class CoreCalls extends LibcBinding {
  /** `open(2)`; returns the descriptor. */
  open(path: string, flags: number, mode = 0o644): number {
    return this.check("open", this.coreFns.open!(cString(path), flags, mode));
  }
  /** `close(2)`. */
  close(fd: number): void {
    this.check("close", this.coreFns.close!(fd));
  }
  /** `read(2)` into `buffer`; returns the byte count (0 at end of file). */
  read(fd: number, buffer: Uint8Array): number {
    for (;;) {
      try {
        return this.check("read", this.coreFns.read!(fd, buffer, buffer.length));
      } catch (error) {
        if (error instanceof SysCallError && error.code === "EINTR") continue;
        throw error;
      }
    }
  }
  /** One `write(2)` of `data`; returns the byte count written (maybe fewer than all). */
  write(fd: number, data: Uint8Array): number {
    for (;;) {
      try {
        return this.check("write", this.coreFns.write!(fd, data, data.length));
      } catch (error) {
        if (error instanceof SysCallError && error.code === "EINTR") continue;
        throw error;
      }
    }
  }
  /** Writes all of `data` to `fd`. */
  writeAll(fd: number, data: Uint8Array | string): void {
    let bytes = typeof data === "string" ? encoder.encode(data) : data;
    while (bytes.length > 0) {
      const n = this.check("write", this.coreFns.write!(fd, bytes, bytes.length));
      bytes = bytes.subarray(n);
    }
  }
  /** Reads a whole file (works on `/proc` files, which report size 0). */
  readFile(path: string): Uint8Array {
    const fd = this.open(path, this.constants.O_CLOEXEC);
    try {
      return this.readAll(fd);
    } finally {
      this.close(fd);
    }
  }
  /**
   * Reads a `/proc` file as text, to its end: a file of many lines (`maps`,
   * `net/tcp`) hands over about a page a read, so a short read is not its
   * end.
   */
  readProcText(path: string): string {
    const fd = this.open(path, this.constants.O_CLOEXEC);
    try {
      return decodeText(this.readAll(fd));
    } finally {
      this.close(fd);
    }
  }
  /** Reads what is left of an open file, to its end. */
  readAll(fd: number): Uint8Array {
    const scratch = this.scratch;
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const n = this.read(fd, scratch);
      if (n === 0) break;
      chunks.push(scratch.slice(0, n));
      total += n;
    }
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
  /** Reads a whole file as UTF-8 text. */
  readTextFile(path: string): string {
    return decodeText(this.readFile(path));
  }
  /** Device and inode of an open descriptor (`fstat(2)`). */
  fileIdOf(fd: number): FileId {
    const buffer = new Uint8Array(STAT_BYTES);
    this.check("fstat", this.coreFns.fstat!(fd, buffer));
    return decodeStat(buffer, this.constants.stat);
  }
  /** Device and inode of a path, following symbolic links (`stat(2)`). */
  fileIdAt(path: string): FileId {
    const buffer = new Uint8Array(STAT_BYTES);
    this.check("stat", this.coreFns.stat!(cString(path), buffer));
    return decodeStat(buffer, this.constants.stat);
  }
  /** Whether `fd` is a terminal. */
  isTerminal(fd: number): boolean {
    return Number(this.coreFns.isatty!(fd)) === 1;
  }
  /** Sets or clears `fd`'s close-on-exec flag. */
  setCloseOnExec(fd: number, on = true): void {
    const { F_SETFD, FD_CLOEXEC } = this.constants;
    this.check("fcntl", this.coreFns.fcntl!(fd, F_SETFD, on ? FD_CLOEXEC : 0));
  }
  /** `flock(2)`; returns false when a non-blocking request would block. */
  flock(fd: number, operation: number): boolean {
    try {
      this.check("flock", this.coreFns.flock!(fd, operation));
      return true;
    } catch (error) {
      // EWOULDBLOCK is EAGAIN on Linux; the name given is EAGAIN's.
      if (
        error instanceof SysCallError &&
        (error.code === "EWOULDBLOCK" || error.code === "EAGAIN")
      ) {
        return false;
      }
      throw error;
    }
  }
  /** `ftruncate(2)`. */
  truncate(fd: number, length: number): void {
    this.check("ftruncate", this.coreFns.ftruncate!(fd, BigInt(length)));
  }
  /** `fchmod(2)`. */
  fchmod(fd: number, mode: number): void {
    this.check("fchmod", this.coreFns.fchmod!(fd, mode));
  }
  /** `fsync(2)`: the file's data on the disk. */
  fsync(fd: number): void {
    this.check("fsync", this.coreFns.fsync!(fd));
  }
  /** `unlink(2)`. */
  unlink(path: string): void {
    this.check("unlink", this.coreFns.unlink!(cString(path)));
  }
  /** `mkdir(2)`. */
  mkdir(path: string, mode: number): void {
    this.check("mkdir", this.coreFns.mkdir!(cString(path), mode));
  }
  /** `rename(2)`. */
  rename(from: string, to: string): void {
    this.check("rename", this.coreFns.rename!(cString(from), cString(to)));
  }
  /** `kill(2)`. */
  kill(pid: number, signal: number): void {
    this.check("kill", this.coreFns.kill!(pid, signal));
  }
  /**
   * The names in a directory (without `.` and `..`), through `getdents64(2)`
   * on Linux: no permission asked of Deno, no `node:fs` loaded by Bun.
   * Undefined where this way is not available (then use the runtime's).
   */
  listDirectory(path: string): string[] | undefined {
    const getdents64 = this.constants.syscalls.getdents64[this.ffi.arch()];
    if (getdents64 === undefined) return undefined;
    const fd = this.open(path, getdents64.O_DIRECTORY | this.constants.O_CLOEXEC);
    const names: string[] = [];
    try {
      const buffer = this.scratch;
      const address = this.ffi.address(buffer);
      for (;;) {
        const n = this.check(
          "getdents64",
          this.coreFns.syscall!(getdents64.number, BigInt(fd), address, BigInt(buffer.length), 0n),
        );
        if (n === 0) break;
        names.push(...decodeDirents(buffer, n));
      }
    } finally {
      this.close(fd);
    }
    return names;
  }
  /**
   * A pidfd for `pid` (Linux 5.3+): a handle on that very process, which a
   * reused pid can't fool. Undefined where the kernel has none.
   */
  pidfdOpen(pid: number): number | undefined {
    const SYS_pidfd_open = this.constants.syscalls.pidfd_open;
    if (SYS_pidfd_open === undefined) return undefined;
    try {
      return this.check(
        "pidfd_open",
        this.coreFns.syscall!(SYS_pidfd_open, BigInt(pid), 0n, 0n, 0n),
      );
    } catch (error) {
      if (error instanceof SysCallError && error.code === "ENOSYS") return undefined;
      throw error;
    }
  }
  /** Sends `signal` to the process behind `pidfd` (one from {@link pidfdOpen}). */
  pidfdSendSignal(pidfd: number, signal: number): void {
    const SYS_pidfd_send_signal = this.constants.syscalls.pidfd_send_signal;
    if (SYS_pidfd_send_signal === undefined) {
      throw new TypeError("Cannot signal through a pidfd: this system has no pidfds");
    }
    this.check(
      "pidfd_send_signal",
      this.coreFns.syscall!(SYS_pidfd_send_signal, BigInt(pidfd), BigInt(signal), 0n, 0n),
    );
  }
  /**
   * `getsid(2)`: the session of process `pid`; undefined when there is no
   * such process, null when the system would not say (a security module may
   * refuse it). No exception: it is asked of every process in a scan.
   */
  sessionOf(pid: number): number | null | undefined {
    const sid = Number(this.coreFns.getsid!(pid));
    if (sid >= 0) return sid;
    return this.constants.errnos[this.errno()]?.[0] === "ESRCH" ? undefined : null;
  }
  /** Whether a process with this pid exists (a zombie counts). */
  processExists(pid: number): boolean {
    try {
      this.kill(pid, 0);
      return true;
    } catch (error) {
      if (error instanceof SysCallError && error.code === "EPERM") return true;
      return false;
    }
  }
  /** `getenv(3)`, without needing Deno's env permission. */
  getenv(name: string): string | undefined {
    const value = this.coreFns.getenv!(cString(name));
    return isNull(value) ? undefined : this.ffi.readCString(value);
  }
  /** `unsetenv(3)`: children spawned later no longer see `name`. */
  unsetenv(name: string): void {
    this.check("unsetenv", this.coreFns.unsetenv!(cString(name)));
  }
  /** `setenv(3)`: sets (or replaces) a variable of this process's environment. */
  setenv(name: string, value: string): void {
    this.check("setenv", this.coreFns.setenv!(cString(name), cString(value), 1));
  }
  /** `CLOCK_MONOTONIC` in microseconds (systemd's `MONOTONIC_USEC`). */
  monotonicMicroseconds(): bigint {
    const time = new Uint8Array(TIMESPEC_BYTES);
    this.check("clock_gettime", this.coreFns.clock_gettime!(this.constants.CLOCK_MONOTONIC, time));
    return decodeTimespecMicroseconds(time);
  }
}
