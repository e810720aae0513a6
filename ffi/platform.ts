/**
 * The few numbers that differ between operating systems, kept in one table so
 * that a new OS is one more entry (and a type error until it is complete).
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
  readonly O_WRONLY: number;
  readonly O_RDWR: number;
  readonly O_CREAT: number;
  readonly O_APPEND: number;
  readonly O_NOFOLLOW: number;
  readonly O_CLOEXEC: number;
  readonly F_SETFD: number;
  readonly FD_CLOEXEC: number;
  readonly LOCK_SH: number;
  readonly LOCK_EX: number;
  readonly LOCK_NB: number;
  readonly LOCK_UN: number;
  readonly POLLIN: number;
  readonly POSIX_SPAWN_SETSIGDEF: number;
  readonly POSIX_SPAWN_SETSIGMASK: number;
  readonly POSIX_SPAWN_SETSID: number;
  readonly RLIMIT_CORE: number;
  readonly WNOHANG: number;
  /** Bytes of `sigset_t`. */
  readonly sigsetSize: number;
  /** Bytes reserved for `posix_spawnattr_t` / `posix_spawn_file_actions_t`. */
  readonly spawnStructSize: number;
  /** Byte offsets of `pw_uid`, `pw_gid` and `pw_dir` in `struct passwd`. */
  readonly passwd: {
    readonly uid: number;
    readonly gid: number;
    readonly dir: number;
  };
  /** Byte offset of `gr_gid` in `struct group`. */
  readonly groupGid: number;
  /** Byte offsets in `struct stat` of `st_dev` (of `devSize` bytes) and `st_ino`. */
  readonly stat: {
    readonly dev: number;
    readonly devSize: 4 | 8;
    readonly ino: number;
  };
}

const linux: PlatformConstants = {
  library: "libc.so.6",
  O_WRONLY: 0o1,
  O_RDWR: 0o2,
  O_CREAT: 0o100,
  O_APPEND: 0o2000,
  O_NOFOLLOW: 0o400000,
  O_CLOEXEC: 0o2000000,
  F_SETFD: 2,
  FD_CLOEXEC: 1,
  LOCK_SH: 1,
  LOCK_EX: 2,
  LOCK_NB: 4,
  LOCK_UN: 8,
  POLLIN: 1,
  POSIX_SPAWN_SETSIGDEF: 0x04,
  POSIX_SPAWN_SETSIGMASK: 0x08,
  POSIX_SPAWN_SETSID: 0x80,
  RLIMIT_CORE: 4,
  WNOHANG: 1,
  sigsetSize: 128,
  spawnStructSize: 512,
  passwd: { uid: 16, gid: 20, dir: 32 },
  groupGid: 16,
  stat: { dev: 0, devSize: 8, ino: 8 },
};

const darwin: PlatformConstants = {
  library: "libSystem.B.dylib",
  O_WRONLY: 0x1,
  O_RDWR: 0x2,
  O_CREAT: 0x200,
  O_APPEND: 0x8,
  O_NOFOLLOW: 0x100,
  O_CLOEXEC: 0x1000000,
  F_SETFD: 2,
  FD_CLOEXEC: 1,
  LOCK_SH: 1,
  LOCK_EX: 2,
  LOCK_NB: 4,
  LOCK_UN: 8,
  POLLIN: 1,
  POSIX_SPAWN_SETSIGDEF: 0x04,
  POSIX_SPAWN_SETSIGMASK: 0x08,
  POSIX_SPAWN_SETSID: 0x400,
  RLIMIT_CORE: 4,
  WNOHANG: 1,
  sigsetSize: 4,
  spawnStructSize: 512,
  passwd: { uid: 16, gid: 20, dir: 48 },
  groupGid: 16,
  stat: { dev: 0, devSize: 4, ino: 8 },
};

/** The operating systems we have constants for. */
export type SupportedOs = "linux" | "darwin";

const table: Record<SupportedOs, PlatformConstants> = { linux, darwin };

/** The constants for `os` (as `process.platform` names it), or `undefined`. */
export function platformConstants(os: string): PlatformConstants | undefined {
  return (table as Record<string, PlatformConstants | undefined>)[os];
}
