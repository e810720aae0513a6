/**
 * The runtime-neutral libc interface: plain TypeScript values in and out, no
 * pointers. Each symbol is bound on its first call, never at import: every
 * Deno symbol costs start-up time.
 *
 * A failing call throws {@link SysCallError}; `check()` below is the only
 * place where a C return code becomes an error.
 *
 * @module
 */
import type { Bound, FfiBackend, NativeFn, Pointer, SymbolTable } from "./backend.ts";
import { bunBackend } from "./bun.ts";
import { denoBackend } from "./deno.ts";
import { type PlatformConstants, platformConstants } from "./platform.ts";

/** A libc call that failed, with its errno. */
export class SysCallError extends Error {
  /** The C function that failed. */
  readonly call: string;
  /** The errno value. */
  readonly errno: number;
  /** The errno name, such as `ENOENT`. */
  readonly code: string;
  /** Creates the error for `call` failing with `errno`. */
  constructor(call: string, errno: number) {
    const [code, text] = getLibc().constants.errnos[errno] ??
      [`errno ${errno}`, `System error ${errno}`];
    super(`${text} (${code})`);
    this.name = "SysCallError";
    this.call = call;
    this.errno = errno;
    this.code = code;
  }
}

const core = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  flock: { parameters: ["i32", "i32"], result: "i32" },
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  unlink: { parameters: ["buffer"], result: "i32" },
  rename: { parameters: ["buffer", "buffer"], result: "i32" },
  mkdir: { parameters: ["buffer", "u32"], result: "i32" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  getsid: { parameters: ["i32"], result: "i32" },
  syscall: { parameters: ["i64", "i64", "i64", "i64", "i64"], result: "i64" },
  getenv: { parameters: ["buffer"], result: "pointer" },
  unsetenv: { parameters: ["buffer"], result: "i32" },
  setenv: { parameters: ["buffer", "buffer", "i32"], result: "i32" },
  isatty: { parameters: ["i32"], result: "i32" },
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  stat: { parameters: ["buffer", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
} as const satisfies SymbolTable;

const spawn = {
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  madvise: { parameters: ["usize", "usize", "i32"], result: "i32" },
  poll: { parameters: ["buffer", "usize", "i32"], result: "i32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  posix_spawn: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
  posix_spawnattr_setsigmask: {
    parameters: ["buffer", "buffer"],
    result: "i32",
  },
  posix_spawnattr_setsigdefault: {
    parameters: ["buffer", "buffer"],
    result: "i32",
  },
  sigemptyset: { parameters: ["buffer"], result: "i32" },
  sigaddset: { parameters: ["buffer", "i32"], result: "i32" },
  pthread_sigmask: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_adddup2: {
    parameters: ["buffer", "i32", "i32"],
    result: "i32",
  },
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
  },
  posix_spawn_file_actions_addclose: {
    parameters: ["buffer", "i32"],
    result: "i32",
  },
  posix_spawn_file_actions_addclosefrom_np: {
    parameters: ["buffer", "i32"],
    result: "i32",
    optional: true,
  },
} as const satisfies SymbolTable;

/** Deno only: a read that waits on another thread (the event loop goes on). */
const waiting = {
  read: { parameters: ["i32", "buffer", "usize"], result: "isize", nonblocking: true },
} as const satisfies SymbolTable;

const identity = {
  chroot: { parameters: ["buffer"], result: "i32" },
  chdir: { parameters: ["buffer"], result: "i32" },
  umask: { parameters: ["u32"], result: "u32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  signal: { parameters: ["i32", "usize"], result: "usize" },
  getuid: { parameters: [], result: "u32" },
  geteuid: { parameters: [], result: "u32" },
  getgid: { parameters: [], result: "u32" },
  getegid: { parameters: [], result: "u32" },
  setuid: { parameters: ["u32"], result: "i32" },
  setgid: { parameters: ["u32"], result: "i32" },
  setgroups: { parameters: ["usize", "buffer"], result: "i32" },
  initgroups: { parameters: ["buffer", "u32"], result: "i32" },
  getpwnam: { parameters: ["buffer"], result: "pointer" },
  getpwuid: { parameters: ["u32"], result: "pointer" },
  getgrnam: { parameters: ["buffer"], result: "pointer" },
  getgrgid: { parameters: ["u32"], result: "pointer" },
  access: { parameters: ["buffer", "i32"], result: "i32" },
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
} as const satisfies SymbolTable;

/**
 * `symbols` bound each on its first call: a Deno symbol costs about 0.3 ms
 * of start-up, so a command pays for the few it calls, not for the table
 * (a Bun `dlopen` of one symbol costs about 0.01 ms).
 */
function bindOnUse<S extends SymbolTable>(
  open: (table: SymbolTable) => Bound<SymbolTable>,
  symbols: S,
): Bound<S> {
  const bound: Record<string, NativeFn | null> = {};
  for (const name of Object.keys(symbols)) {
    Object.defineProperty(bound, name, {
      configurable: true,
      get() {
        const fn = open({ [name]: symbols[name]! })[name] ?? null;
        Object.defineProperty(bound, name, { value: fn });
        return fn;
      },
    });
  }
  return bound as Bound<S>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A NUL-terminated copy of `text`. */
function cString(text: string): Uint8Array {
  return encoder.encode(text + "\0");
}

function isNull(pointer: Pointer): boolean {
  return pointer === null || pointer === 0 || pointer === undefined;
}

/** A user account from the system's user database. */
export interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** Identity of a file (device and inode numbers), its type and size. */
export interface FileId {
  readonly dev: bigint;
  readonly ino: bigint;
  /** `st_mode`: type and permission bits. */
  readonly mode: number;
  /** `st_uid`: the owner. */
  readonly uid: number;
  readonly size: number;
}

/** A file action applied in the child by {@link Libc.spawn}, in order. */
export type FileAction =
  | {
    readonly open: {
      readonly fd: number;
      readonly path: string;
      readonly flags: number;
      readonly mode: number;
    };
  }
  | { readonly dup2: { readonly from: number; readonly to: number } }
  | { readonly close: number }
  | { readonly closeFrom: number };

/** What {@link Libc.spawn} starts. */
export interface SpawnRequest {
  /** The executable's path. */
  readonly path: string;
  readonly argv: readonly string[];
  /** `NAME=value` entries: the child's whole environment. */
  readonly env: readonly string[];
  /** Start the child in a new session (`setsid`). */
  readonly newSession: boolean;
  /** Signals reset to their default action in the child. */
  readonly defaultSignals: readonly number[];
  readonly fileActions: readonly FileAction[];
}

/** How a child ended, from `waitpid`. */
export type ExitStatus = { readonly code: number } | {
  readonly signal: number;
};

/** The libc functions this project calls, free of pointers. */
export class Libc {
  readonly #ffi: FfiBackend;
  /** The constants of the running OS. */
  readonly constants: PlatformConstants;
  #core?: Bound<typeof core>;
  #spawn?: Bound<typeof spawn>;
  #waiting?: Bound<typeof waiting>;
  #identity?: Bound<typeof identity>;

  /** Binds libc through `ffi` with the constants `constants`. */
  constructor(ffi: FfiBackend, constants: PlatformConstants) {
    this.#ffi = ffi;
    this.constants = constants;
  }

  /**
   * Binds `symbols` from the C library: glibc's, or (on Alpine and other
   * musl systems) musl's, whichever opens first; then that one always.
   */
  #open<S extends SymbolTable>(symbols: S): Bound<S> {
    if (this.#library !== undefined) return this.#ffi.open(this.#library, symbols);
    let first: unknown;
    for (const name of [this.constants.library, ...this.constants.otherLibraries]) {
      try {
        const bound = this.#ffi.open(name, symbols);
        this.#library = name;
        return bound;
      } catch (error) {
        first ??= error;
      }
    }
    throw first;
  }
  #library: string | undefined;

  get #c(): Bound<typeof core> {
    return this.#core ??= bindOnUse((table) => this.#open(table), core);
  }
  get #s(): Bound<typeof spawn> {
    return this.#spawn ??= bindOnUse((table) => this.#open(table), spawn);
  }
  get #i(): Bound<typeof identity> {
    return this.#identity ??= bindOnUse((table) => this.#open(table), identity);
  }

  /** The calling thread's errno. */
  errno(): number {
    return this.#ffi.readI32(this.#c.__errno_location!(), 0);
  }

  /** Throws for a `-1` result of `call`; returns the result otherwise. */
  #check(call: string, result: unknown): number {
    const value = Number(result);
    if (value === -1) throw new SysCallError(call, this.errno());
    return value;
  }

  /** Throws for a non-zero result of a call that returns an errno itself. */
  #checkZero(call: string, result: unknown): void {
    const value = Number(result);
    if (value !== 0) throw new SysCallError(call, value);
  }

  /** `open(2)`; returns the descriptor. */
  open(path: string, flags: number, mode = 0o644): number {
    return this.#check("open", this.#c.open!(cString(path), flags, mode));
  }
  /** `close(2)`. */
  close(fd: number): void {
    this.#check("close", this.#c.close!(fd));
  }
  /** `read(2)` into `buffer`; returns the byte count (0 at end of file). */
  read(fd: number, buffer: Uint8Array): number {
    for (;;) {
      try {
        return this.#check("read", this.#c.read!(fd, buffer, buffer.length));
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
      const n = this.#check("write", this.#c.write!(fd, bytes, bytes.length));
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
      return decoder.decode(this.readAll(fd));
    } finally {
      this.close(fd);
    }
  }
  /** Reads what is left of an open file, to its end. */
  readAll(fd: number): Uint8Array {
    // One scratch buffer for every read: /proc files are small and many.
    const scratch = this.#scratch;
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
  #scratchBuffer: Uint8Array | undefined;
  get #scratch(): Uint8Array {
    return this.#scratchBuffer ??= new Uint8Array(65536);
  }
  /** Reads a whole file as UTF-8 text. */
  readTextFile(path: string): string {
    return decoder.decode(this.readFile(path));
  }
  /** Device and inode of an open descriptor (`fstat(2)`). */
  fileIdOf(fd: number): FileId {
    const buffer = new Uint8Array(256);
    this.#check("fstat", this.#c.fstat!(fd, buffer));
    return this.#fileId(buffer);
  }
  /** Device and inode of a path, following symbolic links (`stat(2)`). */
  fileIdAt(path: string): FileId {
    const buffer = new Uint8Array(256);
    this.#check("stat", this.#c.stat!(cString(path), buffer));
    return this.#fileId(buffer);
  }
  #fileId(buffer: Uint8Array): FileId {
    const view = new DataView(buffer.buffer);
    const { dev, ino, devSize, mode, modeSize, uid, size } = this.constants.stat;
    return {
      dev: devSize === 8 ? view.getBigUint64(dev, true) : BigInt(view.getUint32(dev, true)),
      ino: view.getBigUint64(ino, true),
      mode: modeSize === 4 ? view.getUint32(mode, true) : view.getUint16(mode, true),
      uid: view.getUint32(uid, true),
      size: Number(view.getBigInt64(size, true)),
    };
  }
  /** Whether `fd` is a terminal. */
  isTerminal(fd: number): boolean {
    return Number(this.#c.isatty!(fd)) === 1;
  }
  /** Sets or clears `fd`'s close-on-exec flag. */
  setCloseOnExec(fd: number, on = true): void {
    const { F_SETFD, FD_CLOEXEC } = this.constants;
    this.#check("fcntl", this.#c.fcntl!(fd, F_SETFD, on ? FD_CLOEXEC : 0));
  }
  /** `flock(2)`; returns false when a non-blocking request would block. */
  flock(fd: number, operation: number): boolean {
    try {
      this.#check("flock", this.#c.flock!(fd, operation));
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
    this.#check("ftruncate", this.#c.ftruncate!(fd, BigInt(length)));
  }
  /** `fchmod(2)`. */
  fchmod(fd: number, mode: number): void {
    this.#check("fchmod", this.#c.fchmod!(fd, mode));
  }
  /** `unlink(2)`. */
  unlink(path: string): void {
    this.#check("unlink", this.#c.unlink!(cString(path)));
  }
  /** `mkdir(2)`. */
  mkdir(path: string, mode: number): void {
    this.#check("mkdir", this.#c.mkdir!(cString(path), mode));
  }
  /** `rename(2)`. */
  rename(from: string, to: string): void {
    this.#check("rename", this.#c.rename!(cString(from), cString(to)));
  }
  /** `kill(2)`. */
  kill(pid: number, signal: number): void {
    this.#check("kill", this.#c.kill!(pid, signal));
  }
  /**
   * The names in a directory (without `.` and `..`), through `getdents64(2)`
   * on Linux: no permission asked of Deno, no `node:fs` loaded by Bun.
   * Undefined where this way is not available (then use the runtime's).
   */
  listDirectory(path: string): string[] | undefined {
    const arch = (globalThis as { Deno?: typeof Deno }).Deno?.build.arch ??
      (globalThis as unknown as { process: { arch: string } }).process.arch;
    // x86_64 only: other architectures have other numbers and flag values.
    const SYS_getdents64 = { x86_64: 217n, x64: 217n }[arch];
    if (osName() !== "linux" || SYS_getdents64 === undefined) return undefined;
    const O_DIRECTORY = 0o200000;
    const fd = this.open(path, O_DIRECTORY | this.constants.O_CLOEXEC);
    const names: string[] = [];
    try {
      const buffer = this.#scratch;
      const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      const address = this.#ffi.address(buffer);
      for (;;) {
        const n = this.#check(
          "getdents64",
          this.#c.syscall!(SYS_getdents64, BigInt(fd), address, BigInt(buffer.length), 0n),
        );
        if (n === 0) break;
        // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, name.
        for (let at = 0; at < n;) {
          const length = view.getUint16(at + 16, true);
          if (length < 20 || at + length > n) break;
          let end = at + 19;
          while (end < at + length && buffer[end] !== 0) end++;
          const name = decoder.decode(buffer.subarray(at + 19, end));
          if (name !== "." && name !== "..") names.push(name);
          at += length;
        }
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
    const SYS_pidfd_open = 434n;
    try {
      return this.#check("pidfd_open", this.#c.syscall!(SYS_pidfd_open, BigInt(pid), 0n, 0n, 0n));
    } catch (error) {
      if (error instanceof SysCallError && error.code === "ENOSYS") return undefined;
      throw error;
    }
  }
  /** Sends `signal` to the process behind `pidfd`. */
  pidfdSendSignal(pidfd: number, signal: number): void {
    const SYS_pidfd_send_signal = 424n;
    this.#check(
      "pidfd_send_signal",
      this.#c.syscall!(SYS_pidfd_send_signal, BigInt(pidfd), BigInt(signal), 0n, 0n),
    );
  }
  /**
   * `getsid(2)`: the session of process `pid`; undefined when there is no
   * such process, null when the system would not say (a security module may
   * refuse it). No exception: it is asked of every process in a scan.
   */
  sessionOf(pid: number): number | null | undefined {
    const sid = Number(this.#c.getsid!(pid));
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
    const value = this.#c.getenv!(cString(name));
    return isNull(value) ? undefined : this.#ffi.readCString(value);
  }
  /** `unsetenv(3)`: children spawned later no longer see `name`. */
  unsetenv(name: string): void {
    this.#check("unsetenv", this.#c.unsetenv!(cString(name)));
  }
  /** `setenv(3)`: sets (or replaces) a variable of this process's environment. */
  setenv(name: string, value: string): void {
    this.#check("setenv", this.#c.setenv!(cString(name), cString(value), 1));
  }

  /** `pipe2(2)` with close-on-exec; returns `[readEnd, writeEnd]`. */
  pipe(): [number, number] {
    const fds = new Int32Array(2);
    this.#check(
      "pipe2",
      this.#s.pipe2!(new Uint8Array(fds.buffer), this.constants.O_CLOEXEC),
    );
    return [fds[0]!, fds[1]!];
  }
  /**
   * Waits up to `timeoutMs` for any of `fds` to become readable (or hung
   * up); returns those that are. Empty on timeout. Blocks the thread.
   */
  poll(fds: readonly number[], timeoutMs: number): number[] {
    const records = new Uint8Array(8 * fds.length);
    const view = new DataView(records.buffer);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      fds.forEach((fd, i) => {
        view.setInt32(8 * i, fd, true);
        view.setInt16(8 * i + 4, this.constants.POLLIN, true);
        view.setInt16(8 * i + 6, 0, true);
      });
      const left = Math.max(0, deadline - Date.now());
      try {
        this.#check("poll", this.#s.poll!(records, fds.length, left));
        return fds.filter((_, i) => view.getInt16(8 * i + 6, true) !== 0);
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
    const record = new Uint8Array(8);
    const view = new DataView(record.buffer);
    view.setInt32(0, fd, true);
    view.setInt16(4, 4, /* POLLOUT */ true);
    try {
      this.#check("poll", this.#s.poll!(record, 1, 0));
    } catch {
      return false;
    }
    return (view.getInt16(6, true) & (0x8 | 0x10 | 0x20)) !== 0; // POLLERR, POLLHUP, POLLNVAL
  }
  /** `madvise(2)` on the range `[start, end)`; false when the kernel refused. */
  madvise(start: bigint, end: bigint, advice: number): boolean {
    return Number(this.#s.madvise!(start, end - start, advice)) === 0;
  }
  /** `pread(2)`: reads at `offset` without moving the file position; returns the byte count. */
  pread(fd: number, buffer: Uint8Array, offset: number): number {
    return this.#check("pread", this.#s.pread!(fd, buffer, buffer.length, BigInt(offset)));
  }
  /** `readlink(2)`: where the symbolic link `path` points; undefined if it can't be read. */
  readlink(path: string): string | undefined {
    const buffer = this.#scratch;
    const n = Number(this.#s.readlink!(cString(path), buffer, buffer.length));
    return n < 0 ? undefined : decoder.decode(buffer.subarray(0, n));
  }
  /** Waits up to `timeoutMs` for `fd` to become readable; false on timeout. */
  waitReadable(fd: number, timeoutMs: number): boolean {
    return this.poll([fd], timeoutMs).length > 0;
  }
  /** A `sockaddr_un` for `path` (`@name`: Linux's abstract namespace). */
  #unixAddress(path: string): Uint8Array {
    const bytes = new TextEncoder().encode(path.startsWith("@") ? `\0${path.slice(1)}` : path);
    const address = new Uint8Array(2 + bytes.length + (path.startsWith("@") ? 0 : 1));
    new DataView(address.buffer).setUint16(0, 1, true);
    address.set(bytes, 2);
    return address;
  }
  /** `CLOCK_MONOTONIC` in microseconds (systemd's `MONOTONIC_USEC`). */
  monotonicMicroseconds(): bigint {
    const time = new BigInt64Array(2);
    this.#check("clock_gettime", this.#c.clock_gettime!(1, new Uint8Array(time.buffer)));
    return time[0]! * 1_000_000n + time[1]! / 1000n;
  }
  /** Sends one datagram to the Unix socket `path` (systemd's `sd_notify`). */
  notify(path: string, message: string): void {
    const fd = this.#check("socket", this.#s.socket!(1, 2, 0));
    try {
      const data = new TextEncoder().encode(message);
      const address = this.#unixAddress(path);
      this.#check("sendto", this.#s.sendto!(fd, data, data.length, 0, address, address.length));
    } finally {
      this.close(fd);
    }
  }
  /**
   * A close-on-exec Unix datagram socket bound to the abstract address
   * `name` (Linux), as systemd's `NOTIFY_SOCKET` is.
   */
  notifySocket(name: string): number {
    const fd = this.#check("socket", this.#s.socket!(1, 2, 0));
    try {
      this.setCloseOnExec(fd);
      const address = this.#unixAddress(`@${name}`);
      this.#check("bind", this.#s.bind!(fd, address, address.length));
      return fd;
    } catch (error) {
      this.close(fd);
      throw error;
    }
  }
  /** One datagram from `fd` without waiting, or undefined if none. */
  receive(fd: number): string | undefined {
    const buffer = new Uint8Array(4096);
    const MSG_DONTWAIT = 0x40;
    const n = Number(this.#s.recv!(fd, buffer, buffer.length, MSG_DONTWAIT));
    return n < 0 ? undefined : new TextDecoder().decode(buffer.subarray(0, n));
  }
  /** `waitpid(2)`; with `noHang`, returns undefined while the child runs. */
  waitpid(pid: number, noHang = false): ExitStatus | undefined {
    const status = new Int32Array(1);
    for (;;) {
      try {
        const got = this.#check(
          "waitpid",
          this.#s.waitpid!(
            pid,
            new Uint8Array(status.buffer),
            noHang ? this.constants.WNOHANG : 0,
          ),
        );
        if (got === 0) return undefined;
        const raw = status[0]!;
        return (raw & 0x7f) === 0 ? { code: (raw >> 8) & 0xff } : { signal: raw & 0x7f };
      } catch (error) {
        if (error instanceof SysCallError && error.code === "EINTR") continue;
        throw error;
      }
    }
  }
  /**
   * Reaps one ended child, any of them (`waitpid(-1, WNOHANG)`): its pid and
   * how it ended, or undefined when none has ended (or there is none).
   */
  reapAny(): { pid: number; status: ExitStatus } | undefined {
    const status = new Int32Array(1);
    for (;;) {
      try {
        const pid = this.#check(
          "waitpid",
          this.#s.waitpid!(-1, new Uint8Array(status.buffer), this.constants.WNOHANG),
        );
        if (pid === 0) return undefined;
        const raw = status[0]!;
        return {
          pid,
          status: (raw & 0x7f) === 0 ? { code: (raw >> 8) & 0xff } : { signal: raw & 0x7f },
        };
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
    this.#waiting ??= this.#open(waiting);
    const n = Number(await (this.#waiting.read!(fd, buffer, buffer.length) as Promise<unknown>));
    // errno belongs to the other thread: a failed read ends the stream.
    return Math.max(0, n);
  }
  /** `posix_spawn(3)`; returns the child's pid. */
  spawn(request: SpawnRequest): number {
    const s = this.#s;
    const c = this.constants;
    const attr = new Uint8Array(c.spawnStructSize);
    const actions = new Uint8Array(c.spawnStructSize);
    const keep: Uint8Array[] = [];
    this.#checkZero("posix_spawnattr_init", s.posix_spawnattr_init!(attr));
    this.#checkZero(
      "posix_spawn_file_actions_init",
      s.posix_spawn_file_actions_init!(actions),
    );
    const emptyMask = new Uint8Array(c.sigsetSize);
    s.sigemptyset!(emptyMask);
    const defaults = new Uint8Array(c.sigsetSize);
    s.sigemptyset!(defaults);
    for (const signal of request.defaultSignals) s.sigaddset!(defaults, signal);
    let flags = c.POSIX_SPAWN_SETSIGMASK | c.POSIX_SPAWN_SETSIGDEF;
    if (request.newSession) flags |= c.POSIX_SPAWN_SETSID;
    this.#checkZero(
      "posix_spawnattr_setflags",
      s.posix_spawnattr_setflags!(attr, flags),
    );
    this.#checkZero(
      "posix_spawnattr_setsigmask",
      s.posix_spawnattr_setsigmask!(attr, emptyMask),
    );
    this.#checkZero(
      "posix_spawnattr_setsigdefault",
      s.posix_spawnattr_setsigdefault!(attr, defaults),
    );
    for (const action of request.fileActions) {
      if ("open" in action) {
        const path = cString(action.open.path);
        keep.push(path);
        this.#checkZero(
          "posix_spawn_file_actions_addopen",
          s.posix_spawn_file_actions_addopen!(
            actions,
            action.open.fd,
            path,
            action.open.flags,
            action.open.mode,
          ),
        );
      } else if ("dup2" in action) {
        this.#checkZero(
          "posix_spawn_file_actions_adddup2",
          s.posix_spawn_file_actions_adddup2!(
            actions,
            action.dup2.from,
            action.dup2.to,
          ),
        );
      } else if ("close" in action) {
        this.#checkZero(
          "posix_spawn_file_actions_addclose",
          s.posix_spawn_file_actions_addclose!(actions, action.close),
        );
      } else {
        this.#addCloseFrom(actions, action.closeFrom);
      }
    }
    const argv = this.#pointerArray(request.argv, keep);
    const envp = this.#pointerArray(request.env, keep);
    const pid = new Int32Array(1);
    this.#checkZero(
      "posix_spawn",
      s.posix_spawn!(
        new Uint8Array(pid.buffer),
        cString(request.path),
        actions,
        attr,
        argv,
        envp,
      ),
    );
    return pid[0]!;
  }

  #addCloseFrom(actions: Uint8Array, lowest: number): void {
    const closeFrom = this.#s.posix_spawn_file_actions_addclosefrom_np;
    if (closeFrom) {
      this.#checkZero(
        "posix_spawn_file_actions_addclosefrom_np",
        closeFrom(actions, lowest),
      );
      return;
    }
    // Older C libraries: close each descriptor open right now.
    for (const fd of openDescriptors()) {
      if (fd < lowest) continue;
      this.#checkZero(
        "posix_spawn_file_actions_addclose",
        this.#s.posix_spawn_file_actions_addclose!(actions, fd),
      );
    }
  }

  #pointerArray(items: readonly string[], keep: Uint8Array[]): Uint8Array {
    const array = new BigUint64Array(items.length + 1);
    items.forEach((item, i) => {
      const bytes = cString(item);
      keep.push(bytes);
      array[i] = this.#ffi.address(bytes);
    });
    return new Uint8Array(array.buffer);
  }

  /** `execve(2)`: replaces this process; returns only by throwing. */
  execve(path: string, argv: readonly string[], env: readonly string[]): never {
    const keep: Uint8Array[] = [];
    const result = this.#i.execve!(
      cString(path),
      this.#pointerArray(argv, keep),
      this.#pointerArray(env, keep),
    );
    this.#check("execve", result);
    throw new SysCallError("execve", 0);
  }
  /** Whether the real user may execute `path` (`access(2)` with `X_OK`). */
  canExecute(path: string): boolean {
    return Number(this.#i.access!(cString(path), 1)) === 0;
  }
  /** `chroot(2)`. */
  chroot(path: string): void {
    this.#check("chroot", this.#i.chroot!(cString(path)));
  }
  /** `chdir(2)`. */
  chdir(path: string): void {
    this.#check("chdir", this.#i.chdir!(cString(path)));
  }
  /** `umask(2)`; returns the previous mask. */
  umask(mask: number): number {
    return Number(this.#i.umask!(mask));
  }
  /** `setrlimit(2)` with equal soft and hard limits. */
  setrlimit(resource: number, limit: number): void {
    const pair = new BigUint64Array([BigInt(limit), BigInt(limit)]);
    this.#check(
      "setrlimit",
      this.#i.setrlimit!(resource, new Uint8Array(pair.buffer)),
    );
  }
  /**
   * Blocks (`true`) or unblocks `signals` in this thread (`pthread_sigmask`).
   * A blocked signal waits, pending, until unblocked; the mask outlives an
   * `execve`, and threads started later inherit it.
   */
  blockSignals(signals: readonly number[], block: boolean): void {
    const s = this.#s;
    const c = this.constants;
    const set = new Uint8Array(c.sigsetSize);
    s.sigemptyset!(set);
    for (const signal of signals) s.sigaddset!(set, signal);
    this.#checkZero(
      "pthread_sigmask",
      s.pthread_sigmask!(block ? c.SIG_BLOCK : c.SIG_UNBLOCK, set, null),
    );
  }
  /** Sets a signal's disposition to ignore (`true`) or default (`false`). */
  ignoreSignal(signal: number, ignore: boolean): void {
    const result = this.#i.signal!(signal, ignore ? 1 : 0);
    if (BigInt(result as number | bigint) === 0xffffffffffffffffn) {
      throw new SysCallError("signal", this.errno());
    }
  }
  /** Real and effective user and group ids. */
  ids(): { uid: number; euid: number; gid: number; egid: number } {
    const i = this.#i;
    return {
      uid: Number(i.getuid!()),
      euid: Number(i.geteuid!()),
      gid: Number(i.getgid!()),
      egid: Number(i.getegid!()),
    };
  }
  /** `setuid(2)`. */
  setuid(uid: number): void {
    this.#check("setuid", this.#i.setuid!(uid));
  }
  /** `setgid(2)`. */
  setgid(gid: number): void {
    this.#check("setgid", this.#i.setgid!(gid));
  }
  /** `setgroups(2)`. */
  setgroups(gids: readonly number[]): void {
    const list = new Uint32Array(gids);
    this.#check(
      "setgroups",
      this.#i.setgroups!(gids.length, new Uint8Array(list.buffer)),
    );
  }
  /** `initgroups(3)`. */
  initgroups(user: string, gid: number): void {
    this.#check("initgroups", this.#i.initgroups!(cString(user), gid));
  }
  /** Looks a user up by name or id; undefined if there is none. */
  account(user: string | number): Account | undefined {
    const i = this.#i;
    const entry = typeof user === "number" ? i.getpwuid!(user) : i.getpwnam!(cString(user));
    if (isNull(entry)) return undefined;
    const { uid, gid, dir } = this.constants.passwd;
    const ffi = this.#ffi;
    const home = ffi.readPointer(entry, dir);
    return {
      name: ffi.readCString(ffi.readPointer(entry, 0)),
      uid: ffi.readU32(entry, uid),
      gid: ffi.readU32(entry, gid),
      home: isNull(home) ? "/" : ffi.readCString(home),
    };
  }
  /** Looks a group up by name or id; returns its gid, undefined if none. */
  groupId(group: string | number): number | undefined {
    const i = this.#i;
    const entry = typeof group === "number" ? i.getgrgid!(group) : i.getgrnam!(cString(group));
    if (isNull(entry)) return undefined;
    return this.#ffi.readU32(entry, this.constants.groupGid);
  }
}

function openDescriptors(): number[] {
  // Only reached without addclosefrom_np (glibc < 2.34, macOS).
  const dir = osName() === "linux" ? "/proc/self/fd" : "/dev/fd";
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  const names = deno
    ? [...deno.readDirSync(dir)].map((entry) => entry.name)
    : (import.meta as unknown as { require(id: string): { readdirSync(p: string): string[] } })
      .require("node:fs").readdirSync(dir);
  return names.map(Number).filter(Number.isInteger);
}

/** The OS name as Node gives it, without loading Node's modules under Deno. */
function osName(): string {
  const g = globalThis as { Deno?: typeof Deno; process?: { platform: string } };
  return g.Deno ? g.Deno.build.os : g.process!.platform;
}

let libc: Libc | undefined;

/** The libc binding for the running runtime and OS, created on first use. */
export function getLibc(): Libc {
  if (libc) return libc;
  const constants = platformConstants(osName());
  if (!constants) {
    throw new Error(`Cannot bind libc: unsupported operating system "${osName()}"`);
  }
  libc = new Libc("Deno" in globalThis ? denoBackend : bunBackend, constants);
  return libc;
}
