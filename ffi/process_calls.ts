/**
 * The calls that start and watch processes, bound from the `spawn` and
 * `waiting` tables: `posix_spawn`, `waitpid`, pipes and `poll`, datagram
 * sockets (systemd's notify protocol), a TCP connection to a local port (a
 * health check), and the memory watch's reads.
 *
 * @module
 */
import { SysCallError } from "./binding.ts";
import { CoreCalls } from "./core_calls.ts";
import {
  cString,
  decodeText,
  decodeWaitStatus,
  encodeLoopbackAddress,
  encodePollFds,
  encodeUnixAddress,
  type ExitStatus,
  pollRevents,
} from "./layout.ts";
import { posixSpawn, type SpawnRequest } from "./posix_spawn.ts";

/** `tee(2)` and `splice(2)`'s "don't wait" flag. */
const SPLICE_F_NONBLOCK = 2;

/** The error for a call this system's C library lacks. */
function unavailable(call: string): Error {
  return Object.assign(new Error(`${call} is not available on this system`), { code: "ENOSYS" });
}

/** The second layer of `Libc`: the `spawn` and `waiting` calls, free of pointers. */
export class ProcessCalls extends CoreCalls {
  /** `pipe2(2)` with close-on-exec; returns `[readEnd, writeEnd]`. */
  pipe(): [number, number] {
    const fds = new Int32Array(2);
    this.check(
      "pipe2",
      this.spawnFns.pipe2!(new Uint8Array(fds.buffer), this.constants.O_CLOEXEC),
    );
    return [fds[0]!, fds[1]!];
  }
  /**
   * Waits up to `timeoutMs` for any of `fds` to become readable (or hung
   * up); returns those that are. Empty on timeout. Blocks the thread.
   */
  poll(fds: readonly number[], timeoutMs: number): number[] {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = encodePollFds(fds, this.constants.POLLIN);
      const left = Math.max(0, deadline - Date.now());
      try {
        this.check("poll", this.spawnFns.poll!(records, fds.length, left));
        return fds.filter((_, i) => pollRevents(records, i) !== 0);
      } catch (error) {
        if (error instanceof SysCallError && error.code === "EINTR") continue;
        throw error;
      }
    }
  }
  /**
   * Whether the reading end of the pipe whose writing end is `fd` was
   * closed (`POLLERR`): nobody reads what is written there any more.
   */
  readerGone(fd: number): boolean {
    const { POLLOUT, POLLERR, POLLHUP, POLLNVAL } = this.constants;
    const record = encodePollFds([fd], POLLOUT);
    try {
      this.check("poll", this.spawnFns.poll!(record, 1, 0));
    } catch {
      return false;
    }
    return (pollRevents(record, 0) & (POLLERR | POLLHUP | POLLNVAL)) !== 0;
  }
  /** `madvise(2)` on the range `[start, end)`; false when the kernel refused. */
  madvise(start: bigint, end: bigint, advice: number): boolean {
    return Number(this.spawnFns.madvise!(start, end - start, advice)) === 0;
  }
  /** `pread(2)`: reads at `offset` without moving the file position; returns the byte count. */
  pread(fd: number, buffer: Uint8Array, offset: number): number {
    return this.check("pread", this.spawnFns.pread!(fd, buffer, buffer.length, BigInt(offset)));
  }
  /** `readlink(2)`: where the symbolic link `path` points; undefined if it can't be read. */
  readlink(path: string): string | undefined {
    const buffer = this.scratch;
    const n = Number(this.spawnFns.readlink!(cString(path), buffer, buffer.length));
    return n < 0 ? undefined : decodeText(buffer.subarray(0, n));
  }
  /** Waits up to `timeoutMs` for `fd` to become readable; false on timeout. */
  waitReadable(fd: number, timeoutMs: number): boolean {
    return this.poll([fd], timeoutMs).length > 0;
  }
  /**
   * Begins a TCP connection to 127.0.0.1:`port` without waiting for it;
   * returns the socket (close-on-exec), for {@link connected}.
   * @throws {SysCallError} of `connect` when it is refused at once.
   */
  connectLoopback(port: number): number {
    const { AF_INET, SOCK_STREAM, F_SETFL, O_NONBLOCK } = this.constants;
    const fd = this.check("socket", this.spawnFns.socket!(AF_INET, SOCK_STREAM, 0));
    try {
      this.setCloseOnExec(fd);
      this.check("fcntl", this.coreFns.fcntl!(fd, F_SETFL, O_NONBLOCK));
      const address = encodeLoopbackAddress(port, this.constants);
      try {
        this.check("connect", this.spawnFns.connect!(fd, address, address.length));
      } catch (error) {
        if (!(error instanceof SysCallError && error.code === "EINPROGRESS")) throw error;
      }
      return fd;
    } catch (error) {
      this.close(fd);
      throw error;
    }
  }
  /**
   * Whether the connection begun on `fd` was made (true), failed (false),
   * or is still under way (undefined). Does not wait.
   */
  connected(fd: number): boolean | undefined {
    const { POLLOUT, POLLERR, POLLHUP } = this.constants;
    const record = encodePollFds([fd], POLLOUT);
    try {
      this.check("poll", this.spawnFns.poll!(record, 1, 0));
    } catch {
      return undefined;
    }
    const revents = pollRevents(record, 0);
    if (revents & (POLLERR | POLLHUP)) return false;
    return revents & POLLOUT ? true : undefined;
  }
  /** A Unix datagram socket (not yet close-on-exec). */
  #datagramSocket(): number {
    const { AF_UNIX, SOCK_DGRAM } = this.constants;
    return this.check("socket", this.spawnFns.socket!(AF_UNIX, SOCK_DGRAM, 0));
  }
  /** Sends one datagram to the Unix socket `path` (systemd's `sd_notify`). */
  notify(path: string, message: string): void {
    const fd = this.#datagramSocket();
    try {
      const data = new TextEncoder().encode(message);
      const address = encodeUnixAddress(path, this.constants);
      this.check(
        "sendto",
        this.spawnFns.sendto!(fd, data, data.length, 0, address, address.length),
      );
    } finally {
      this.close(fd);
    }
  }
  /**
   * A close-on-exec Unix datagram socket bound to the abstract address
   * `name` (Linux), as systemd's `NOTIFY_SOCKET` is.
   */
  notifySocket(name: string): number {
    const fd = this.#datagramSocket();
    try {
      this.setCloseOnExec(fd);
      const address = encodeUnixAddress(`@${name}`, this.constants);
      this.check("bind", this.spawnFns.bind!(fd, address, address.length));
      return fd;
    } catch (error) {
      this.close(fd);
      throw error;
    }
  }
  /** One datagram from `fd` without waiting, or undefined if none. */
  receive(fd: number): string | undefined {
    const buffer = new Uint8Array(4096);
    const n = Number(
      this.spawnFns.recv!(fd, buffer, buffer.length, this.constants.MSG_DONTWAIT),
    );
    return n < 0 ? undefined : decodeText(buffer.subarray(0, n));
  }
  /** `waitpid(2)`; with `noHang`, returns undefined while the child runs. */
  waitpid(pid: number, noHang = false): ExitStatus | undefined {
    const status = new Int32Array(1);
    for (;;) {
      try {
        const got = this.check(
          "waitpid",
          this.spawnFns.waitpid!(
            pid,
            new Uint8Array(status.buffer),
            noHang ? this.constants.WNOHANG : 0,
          ),
        );
        if (got === 0) return undefined;
        return decodeWaitStatus(status[0]!);
      } catch (error) {
        if (error instanceof SysCallError && error.code === "EINTR") continue;
        throw error;
      }
    }
  }
  /**
   * Reaps one ended child, any of them (`waitpid(-1, WNOHANG)`): its pid and
   * how it ended, or undefined when none has ended (or there is none). With
   * `block`, waits for one to end (undefined only when there is none).
   */
  reapAny(block = false): { pid: number; status: ExitStatus } | undefined {
    const status = new Int32Array(1);
    for (;;) {
      try {
        const pid = this.check(
          "waitpid",
          this.spawnFns.waitpid!(
            -1,
            new Uint8Array(status.buffer),
            block ? 0 : this.constants.WNOHANG,
          ),
        );
        if (pid === 0) return undefined;
        return { pid, status: decodeWaitStatus(status[0]!) };
      } catch (error) {
        if (error instanceof SysCallError && error.code === "EINTR") continue;
        if (error instanceof SysCallError && error.code === "ECHILD") return undefined;
        throw error;
      }
    }
  }
  /**
   * Deno only: `read(2)` on another thread, so that a pipe is waited on
   * while the event loop goes on; resolves to the byte count (0 at its end).
   */
  async readWaiting(fd: number, buffer: Uint8Array): Promise<number> {
    const n = Number(
      await (this.waitingFns.read!(fd, buffer, buffer.length) as Promise<unknown>),
    );
    // errno belongs to the other thread: a failed read ends the stream.
    return Math.max(0, n);
  }
  /**
   * `tee(2)` without waiting: copies up to `max` bytes waiting in pipe
   * `from` into pipe `to`, leaving them in `from`. Returns the count, 0 at
   * the end of `from` (no writer left, nothing waiting), or undefined when
   * nothing waits now. Linux only (throws `ENOSYS` elsewhere).
   */
  peekPipe(from: number, to: number, max: number): number | undefined {
    const tee = this.spawnFns.tee;
    if (!tee) throw unavailable("tee");
    for (;;) {
      try {
        return Number(this.check("tee", tee(from, to, max, SPLICE_F_NONBLOCK)));
      } catch (error) {
        if (error instanceof SysCallError && error.code === "EINTR") continue;
        if (error instanceof SysCallError && error.code === "EAGAIN") return undefined;
        throw error;
      }
    }
  }
  /**
   * `splice(2)`: moves up to `length` bytes waiting in pipe `from` to `to`
   * (at `offset` when given: a file opened for appending refuses splices),
   * in one step of the kernel's: what was moved is no longer in the pipe.
   * Returns the count moved.
   */
  movePipe(from: number, to: number, length: number, offset?: number): number {
    const splice = this.spawnFns.splice;
    if (!splice) throw unavailable("splice");
    const at = offset === undefined ? null : new BigInt64Array([BigInt(offset)]);
    for (;;) {
      try {
        return Number(this.check(
          "splice",
          splice(from, null, to, at && new Uint8Array(at.buffer), length, SPLICE_F_NONBLOCK),
        ));
      } catch (error) {
        if (error instanceof SysCallError && error.code === "EINTR") continue;
        throw error;
      }
    }
  }
  /**
   * A copy of descriptor `fd` of the process behind `pidfd`
   * (`pidfd_getfd(2)`, Linux 5.6+; close-on-exec). Undefined where the
   * system has no such call.
   */
  descriptorOf(pidfd: number, fd: number): number | undefined {
    const number = this.constants.syscalls.pidfd_getfd;
    if (number === undefined) return undefined;
    return Number(this.check(
      "pidfd_getfd",
      this.coreFns.syscall!(number, BigInt(pidfd), BigInt(fd), 0n, 0n),
    ));
  }
  /**
   * Makes reads of `fd` never wait, and has `SIGIO` sent to process `owner`
   * whenever something arrives there (or its last writer closes it).
   */
  signalOnInput(fd: number, owner: number): void {
    const { F_GETFL, F_SETFL, F_SETOWN, O_ASYNC, O_NONBLOCK } = this.constants;
    const fcntl = this.coreFns.fcntl!;
    this.check("fcntl", fcntl(fd, F_SETOWN, owner));
    const flags = this.check("fcntl", fcntl(fd, F_GETFL, 0));
    this.check("fcntl", fcntl(fd, F_SETFL, flags | O_ASYNC | O_NONBLOCK));
  }
  /** Makes reads and writes of `fd` never wait. */
  neverWait(fd: number): void {
    const { F_GETFL, F_SETFL, O_NONBLOCK } = this.constants;
    const fcntl = this.coreFns.fcntl!;
    const flags = this.check("fcntl", fcntl(fd, F_GETFL, 0));
    this.check("fcntl", fcntl(fd, F_SETFL, flags | O_NONBLOCK));
  }
  /** `posix_spawn(3)`; returns the child's pid. */
  spawn(request: SpawnRequest): number {
    return posixSpawn({ fns: this.spawnFns, ffi: this.ffi, constants: this.constants }, request);
  }
}
