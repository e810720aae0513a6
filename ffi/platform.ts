/**
 * Every number the libc binding takes from the operating system (flags,
 * struct offsets, system call numbers, the errno symbol's name), in one table
 * per OS: a new OS is one more entry, and a type error until it is complete.
 *
 * Linux with glibc is built and tested here; the macOS entry is written from
 * the system headers and has not been run.
 *
 * @module
 */

/** Constants the libc binding needs, for one operating system. */
export interface PlatformConstants {
  /** The C library to open. */
  readonly library: string;
  /** Other names of it, tried in turn when `library` can't be opened (musl's). */
  readonly otherLibraries: readonly string[];
  /** The function that gives the address of the calling thread's errno: `int *NAME(void)`. */
  readonly errnoSymbol: string;
  readonly O_WRONLY: number;
  readonly O_RDWR: number;
  readonly O_CREAT: number;
  readonly O_APPEND: number;
  readonly O_TRUNC: number;
  readonly O_NOFOLLOW: number;
  readonly O_EXCL: number;
  /** Never wait in `open` (a FIFO planted where a file should be). */
  readonly O_NONBLOCK: number;
  readonly O_CLOEXEC: number;
  readonly F_SETFD: number;
  readonly FD_CLOEXEC: number;
  /** `fcntl(2)`: a descriptor's status flags, and who is sent `SIGIO` for it. */
  readonly F_GETFL: number;
  readonly F_SETFL: number;
  readonly F_SETOWN: number;
  /** Send `SIGIO` when the descriptor becomes readable. */
  readonly O_ASYNC: number;
  readonly LOCK_SH: number;
  readonly LOCK_EX: number;
  readonly LOCK_NB: number;
  readonly LOCK_UN: number;
  readonly POLLIN: number;
  readonly POLLOUT: number;
  readonly POLLERR: number;
  readonly POLLHUP: number;
  readonly POLLNVAL: number;
  readonly AF_UNIX: number;
  readonly SOCK_DGRAM: number;
  readonly AF_INET: number;
  readonly SOCK_STREAM: number;
  readonly MSG_DONTWAIT: number;
  readonly CLOCK_MONOTONIC: number;
  /** `access(2)`'s "may execute". */
  readonly X_OK: number;
  /** `signal(2)`'s default and ignoring dispositions. */
  readonly SIG_DFL: number;
  readonly SIG_IGN: number;
  readonly POSIX_SPAWN_SETSIGDEF: number;
  readonly POSIX_SPAWN_SETSIGMASK: number;
  readonly POSIX_SPAWN_SETSID: number;
  readonly RLIMIT_CORE: number;
  /** `pthread_sigmask`'s "add to the mask" and "take out of it". */
  readonly SIG_BLOCK: number;
  readonly SIG_UNBLOCK: number;
  readonly WNOHANG: number;
  /** Bytes of `sigset_t`. */
  readonly sigsetSize: number;
  /** Bytes reserved for `posix_spawnattr_t` / `posix_spawn_file_actions_t`. */
  readonly spawnStructSize: number;
  /** Byte offsets of `pw_name`, `pw_uid`, `pw_gid` and `pw_dir` in `struct passwd`. */
  readonly passwd: {
    readonly name: number;
    readonly uid: number;
    readonly gid: number;
    readonly dir: number;
  };
  /** Byte offset of `gr_gid` in `struct group`. */
  readonly groupGid: number;
  /**
   * Byte offsets in `struct stat`: `st_dev` (of `devSize` bytes), `st_ino`,
   * `st_mode` (of `modeSize` bytes) and `st_size`.
   */
  readonly stat: {
    readonly dev: number;
    readonly devSize: 4 | 8;
    readonly ino: number;
    readonly mode: number;
    readonly modeSize: 2 | 4;
    readonly uid: number;
    readonly size: number;
  };
  /**
   * Whether `struct sockaddr_un` starts with a length byte (the BSDs): its
   * family is then one byte, not two.
   */
  readonly sunLen: boolean;
  /** The directory that lists this process's open descriptors. */
  readonly fdDirectory: string;
  /** Numbers for `syscall(2)`; absent where the OS has no such call. */
  readonly syscalls: {
    /**
     * `getdents64` by CPU architecture (as Deno names it), with the
     * `O_DIRECTORY` flag it needs: both differ between architectures.
     */
    readonly getdents64: Readonly<
      Partial<Record<string, { readonly number: bigint; readonly O_DIRECTORY: number }>>
    >;
    readonly pidfd_open?: bigint;
    readonly pidfd_send_signal?: bigint;
    /** Linux 5.6+: a copy of another process's descriptor. */
    readonly pidfd_getfd?: bigint;
  };
  /** Signal numbers by name. */
  readonly signals: Readonly<Record<string, number>>;
  /** errno values: name and text, by number. */
  readonly errnos: Readonly<Record<number, readonly [string, string]>>;
}

/** errno values shared by Linux and macOS (1–34). */
const commonErrnos: Record<number, readonly [string, string]> = {
  1: ["EPERM", "Operation not permitted"],
  2: ["ENOENT", "No such file or directory"],
  3: ["ESRCH", "No such process"],
  4: ["EINTR", "Interrupted system call"],
  5: ["EIO", "Input/output error"],
  6: ["ENXIO", "No such device or address"],
  7: ["E2BIG", "Argument list too long"],
  8: ["ENOEXEC", "Exec format error"],
  9: ["EBADF", "Bad file descriptor"],
  10: ["ECHILD", "No child processes"],
  12: ["ENOMEM", "Cannot allocate memory"],
  13: ["EACCES", "Permission denied"],
  14: ["EFAULT", "Bad address"],
  16: ["EBUSY", "Device or resource busy"],
  17: ["EEXIST", "File exists"],
  18: ["EXDEV", "Invalid cross-device link"],
  19: ["ENODEV", "No such device"],
  20: ["ENOTDIR", "Not a directory"],
  21: ["EISDIR", "Is a directory"],
  22: ["EINVAL", "Invalid argument"],
  23: ["ENFILE", "Too many open files in system"],
  24: ["EMFILE", "Too many open files"],
  25: ["ENOTTY", "Inappropriate ioctl for device"],
  26: ["ETXTBSY", "Text file busy"],
  27: ["EFBIG", "File too large"],
  28: ["ENOSPC", "No space left on device"],
  29: ["ESPIPE", "Illegal seek"],
  30: ["EROFS", "Read-only file system"],
  31: ["EMLINK", "Too many links"],
  32: ["EPIPE", "Broken pipe"],
};

const commonSignals = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

const linux: PlatformConstants = {
  library: "libc.so.6",
  otherLibraries: ["libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"],
  errnoSymbol: "__errno_location",
  O_WRONLY: 0o1,
  O_RDWR: 0o2,
  O_CREAT: 0o100,
  O_APPEND: 0o2000,
  O_TRUNC: 0o1000,
  O_NOFOLLOW: 0o400000,
  O_EXCL: 0o200,
  O_NONBLOCK: 0o4000,
  O_CLOEXEC: 0o2000000,
  F_SETFD: 2,
  FD_CLOEXEC: 1,
  F_GETFL: 3,
  F_SETFL: 4,
  F_SETOWN: 8,
  O_ASYNC: 0o20000,
  LOCK_SH: 1,
  LOCK_EX: 2,
  LOCK_NB: 4,
  LOCK_UN: 8,
  POLLIN: 1,
  POLLOUT: 4,
  POLLERR: 0x8,
  POLLHUP: 0x10,
  POLLNVAL: 0x20,
  AF_UNIX: 1,
  SOCK_DGRAM: 2,
  AF_INET: 2,
  SOCK_STREAM: 1,
  MSG_DONTWAIT: 0x40,
  CLOCK_MONOTONIC: 1,
  X_OK: 1,
  SIG_DFL: 0,
  SIG_IGN: 1,
  POSIX_SPAWN_SETSIGDEF: 0x04,
  POSIX_SPAWN_SETSIGMASK: 0x08,
  POSIX_SPAWN_SETSID: 0x80,
  RLIMIT_CORE: 4,
  SIG_BLOCK: 0,
  SIG_UNBLOCK: 1,
  WNOHANG: 1,
  sigsetSize: 128,
  spawnStructSize: 512,
  passwd: { name: 0, uid: 16, gid: 20, dir: 32 },
  groupGid: 16,
  stat: { dev: 0, devSize: 8, ino: 8, mode: 24, modeSize: 4, uid: 28, size: 48 },
  sunLen: false,
  fdDirectory: "/proc/self/fd",
  syscalls: {
    // Other architectures have other numbers, and another O_DIRECTORY.
    getdents64: { x86_64: { number: 217n, O_DIRECTORY: 0o200000 } },
    pidfd_open: 434n,
    pidfd_send_signal: 424n,
    pidfd_getfd: 438n,
  },
  signals: {
    ...commonSignals,
    SIGBUS: 7,
    SIGUSR1: 10,
    SIGUSR2: 12,
    SIGSTKFLT: 16,
    SIGCHLD: 17,
    SIGCONT: 18,
    SIGSTOP: 19,
    SIGTSTP: 20,
    SIGTTIN: 21,
    SIGTTOU: 22,
    SIGURG: 23,
    SIGXCPU: 24,
    SIGXFSZ: 25,
    SIGVTALRM: 26,
    SIGPROF: 27,
    SIGWINCH: 28,
    SIGIO: 29,
    SIGPWR: 30,
    SIGSYS: 31,
  },
  errnos: {
    ...commonErrnos,
    11: ["EAGAIN", "Resource temporarily unavailable"],
    36: ["ENAMETOOLONG", "File name too long"],
    38: ["ENOSYS", "Function not implemented"],
    39: ["ENOTEMPTY", "Directory not empty"],
    40: ["ELOOP", "Too many levels of symbolic links"],
    111: ["ECONNREFUSED", "Connection refused"],
    115: ["EINPROGRESS", "Operation now in progress"],
    122: ["EDQUOT", "Disk quota exceeded"],
  },
};

const darwin: PlatformConstants = {
  library: "libSystem.B.dylib",
  otherLibraries: [],
  errnoSymbol: "__error",
  O_WRONLY: 0x1,
  O_RDWR: 0x2,
  O_CREAT: 0x200,
  O_APPEND: 0x8,
  O_TRUNC: 0x400,
  O_NOFOLLOW: 0x100,
  O_EXCL: 0x800,
  O_NONBLOCK: 0x4,
  O_CLOEXEC: 0x1000000,
  F_SETFD: 2,
  FD_CLOEXEC: 1,
  F_GETFL: 3,
  F_SETFL: 4,
  F_SETOWN: 6,
  O_ASYNC: 0x40,
  LOCK_SH: 1,
  LOCK_EX: 2,
  LOCK_NB: 4,
  LOCK_UN: 8,
  POLLIN: 1,
  POLLOUT: 4,
  POLLERR: 0x8,
  POLLHUP: 0x10,
  POLLNVAL: 0x20,
  AF_UNIX: 1,
  SOCK_DGRAM: 2,
  AF_INET: 2,
  SOCK_STREAM: 1,
  MSG_DONTWAIT: 0x80,
  CLOCK_MONOTONIC: 6,
  X_OK: 1,
  SIG_DFL: 0,
  SIG_IGN: 1,
  POSIX_SPAWN_SETSIGDEF: 0x04,
  POSIX_SPAWN_SETSIGMASK: 0x08,
  POSIX_SPAWN_SETSID: 0x400,
  RLIMIT_CORE: 4,
  SIG_BLOCK: 1,
  SIG_UNBLOCK: 2,
  WNOHANG: 1,
  sigsetSize: 4,
  spawnStructSize: 512,
  passwd: { name: 0, uid: 16, gid: 20, dir: 48 },
  groupGid: 16,
  stat: { dev: 0, devSize: 4, ino: 8, mode: 4, modeSize: 2, uid: 16, size: 96 },
  sunLen: true,
  fdDirectory: "/dev/fd",
  syscalls: { getdents64: {} },
  signals: {
    ...commonSignals,
    SIGEMT: 7,
    SIGBUS: 10,
    SIGSYS: 12,
    SIGURG: 16,
    SIGSTOP: 17,
    SIGTSTP: 18,
    SIGCONT: 19,
    SIGCHLD: 20,
    SIGTTIN: 21,
    SIGTTOU: 22,
    SIGIO: 23,
    SIGXCPU: 24,
    SIGXFSZ: 25,
    SIGVTALRM: 26,
    SIGPROF: 27,
    SIGWINCH: 28,
    SIGINFO: 29,
    SIGUSR1: 30,
    SIGUSR2: 31,
  },
  errnos: {
    ...commonErrnos,
    35: ["EAGAIN", "Resource temporarily unavailable"],
    36: ["EINPROGRESS", "Operation now in progress"],
    61: ["ECONNREFUSED", "Connection refused"],
    62: ["ELOOP", "Too many levels of symbolic links"],
    63: ["ENAMETOOLONG", "File name too long"],
    66: ["ENOTEMPTY", "Directory not empty"],
    69: ["EDQUOT", "Disc quota exceeded"],
    78: ["ENOSYS", "Function not implemented"],
  },
};

/** The operating systems we have constants for. */
export type SupportedOs = "linux" | "darwin";

const table: Record<SupportedOs, PlatformConstants> = { linux, darwin };

/** The constants for `os` (as `process.platform` names it), or `undefined`. */
export function platformConstants(os: string): PlatformConstants | undefined {
  return (table as Record<string, PlatformConstants | undefined>)[os];
}
