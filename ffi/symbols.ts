/**
 * The C functions the libc binding calls, with the prototype of each beside
 * its entry, in one table per phase of a daemon's life: a Deno symbol costs
 * start-up time, so a phase binds only its own table (and each symbol on its
 * first call).
 *
 * Types use Deno's notation (see `backend.ts`): a `const char *` or an array
 * filled in by the call is a `buffer`, a returned address a `pointer`.
 *
 * @module
 */
import type { SymbolTable } from "./backend.ts";

/** What every command calls: files, descriptors, the environment, signals. */
export const core = {
  // int open(const char *path, int flags, mode_t mode);
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  // int close(int fd);
  close: { parameters: ["i32"], result: "i32" },
  // ssize_t read(int fd, void *buf, size_t count);
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // ssize_t write(int fd, const void *buf, size_t count);
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // int fcntl(int fd, int cmd, int arg);
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  // int flock(int fd, int operation);
  flock: { parameters: ["i32", "i32"], result: "i32" },
  // int ftruncate(int fd, off_t length);
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  // int fchmod(int fd, mode_t mode);
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  // int fsync(int fd);
  fsync: { parameters: ["i32"], result: "i32" },
  // int unlink(const char *path);
  unlink: { parameters: ["buffer"], result: "i32" },
  // int rename(const char *from, const char *to);
  rename: { parameters: ["buffer", "buffer"], result: "i32" },
  // int mkdir(const char *path, mode_t mode);
  mkdir: { parameters: ["buffer", "u32"], result: "i32" },
  // int kill(pid_t pid, int sig);
  kill: { parameters: ["i32", "i32"], result: "i32" },
  // pid_t getsid(pid_t pid);
  getsid: { parameters: ["i32"], result: "i32" },
  // long syscall(long number, long a, long b, long c, long d);
  syscall: { parameters: ["i64", "i64", "i64", "i64", "i64"], result: "i64" },
  // char *getenv(const char *name);
  getenv: { parameters: ["buffer"], result: "pointer" },
  // int unsetenv(const char *name);
  unsetenv: { parameters: ["buffer"], result: "i32" },
  // int setenv(const char *name, const char *value, int overwrite);
  setenv: { parameters: ["buffer", "buffer", "i32"], result: "i32" },
  // int isatty(int fd);
  isatty: { parameters: ["i32"], result: "i32" },
  // int fstat(int fd, struct stat *st);
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  // int stat(const char *path, struct stat *st);
  stat: { parameters: ["buffer", "buffer"], result: "i32" },
  // int clock_gettime(clockid_t clock, struct timespec *time);
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
} as const satisfies SymbolTable;

/**
 * The function that gives the calling thread's errno address, whose name
 * differs by OS (`PlatformConstants.errnoSymbol`).
 */
export function errnoLocation(name: string): SymbolTable {
  // int *__errno_location(void);  (macOS: int *__error(void);)
  return { [name]: { parameters: [], result: "pointer" } };
}

/** What a starter and a supervisor call: children, pipes, sockets, memory. */
export const spawn = {
  // int pipe2(int fds[2], int flags);
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  // ssize_t readlink(const char *path, char *buf, size_t size);
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  // ssize_t pread(int fd, void *buf, size_t count, off_t offset);
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  // int madvise(void *start, size_t length, int advice);
  madvise: { parameters: ["usize", "usize", "i32"], result: "i32" },
  // int poll(struct pollfd *fds, nfds_t count, int timeout_ms);
  poll: { parameters: ["buffer", "usize", "i32"], result: "i32" },
  // int socket(int domain, int type, int protocol);
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  // int bind(int fd, const struct sockaddr *address, socklen_t length);
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // int connect(int fd, const struct sockaddr *address, socklen_t length);
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // ssize_t recv(int fd, void *buf, size_t length, int flags);
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  // ssize_t sendto(int fd, const void *buf, size_t length, int flags,
  //                const struct sockaddr *address, socklen_t address_length);
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
  // ssize_t tee(int from, int to, size_t length, unsigned int flags);  (Linux)
  tee: { parameters: ["i32", "i32", "usize", "u32"], result: "isize", optional: true },
  // ssize_t splice(int from, off64_t *from_offset, int to, off64_t *to_offset,
  //                size_t length, unsigned int flags);  (Linux)
  splice: {
    parameters: ["i32", "buffer", "i32", "buffer", "usize", "u32"],
    result: "isize",
    optional: true,
  },
  // pid_t waitpid(pid_t pid, int *status, int options);
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  // int posix_spawn(pid_t *pid, const char *path,
  //                 const posix_spawn_file_actions_t *actions,
  //                 const posix_spawnattr_t *attr,
  //                 char *const argv[], char *const envp[]);
  posix_spawn: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  // int posix_spawnattr_init(posix_spawnattr_t *attr);
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  // int posix_spawnattr_setflags(posix_spawnattr_t *attr, short flags);
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
  // int posix_spawnattr_setsigmask(posix_spawnattr_t *attr, const sigset_t *mask);
  posix_spawnattr_setsigmask: {
    parameters: ["buffer", "buffer"],
    result: "i32",
  },
  // int posix_spawnattr_setsigdefault(posix_spawnattr_t *attr, const sigset_t *set);
  posix_spawnattr_setsigdefault: {
    parameters: ["buffer", "buffer"],
    result: "i32",
  },
  // int sigemptyset(sigset_t *set);
  sigemptyset: { parameters: ["buffer"], result: "i32" },
  // int sigaddset(sigset_t *set, int signal);
  sigaddset: { parameters: ["buffer", "i32"], result: "i32" },
  // int pthread_sigmask(int how, const sigset_t *set, sigset_t *old);
  pthread_sigmask: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  // int posix_spawn_file_actions_init(posix_spawn_file_actions_t *actions);
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  // int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *actions,
  //                                      int fd, int new_fd);
  posix_spawn_file_actions_adddup2: {
    parameters: ["buffer", "i32", "i32"],
    result: "i32",
  },
  // int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *actions,
  //                                      int fd, const char *path, int flags, mode_t mode);
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
  },
  // int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *actions, int fd);
  posix_spawn_file_actions_addclose: {
    parameters: ["buffer", "i32"],
    result: "i32",
  },
  // int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions,
  //                                              int lowest);  (glibc 2.34+)
  posix_spawn_file_actions_addclosefrom_np: {
    parameters: ["buffer", "i32"],
    result: "i32",
    optional: true,
  },
} as const satisfies SymbolTable;

/** Deno only: a read that waits on another thread (the event loop goes on). */
export const waiting = {
  // ssize_t read(int fd, void *buf, size_t count);
  read: { parameters: ["i32", "buffer", "usize"], result: "isize", nonblocking: true },
} as const satisfies SymbolTable;

/** What a daemon's set-up calls: who and where it runs, and the exec. */
export const identity = {
  // int chroot(const char *path);
  chroot: { parameters: ["buffer"], result: "i32" },
  // int chdir(const char *path);
  chdir: { parameters: ["buffer"], result: "i32" },
  // mode_t umask(mode_t mask);
  umask: { parameters: ["u32"], result: "u32" },
  // int setrlimit(int resource, const struct rlimit *limit);
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  // sighandler_t signal(int signal, sighandler_t handler);
  signal: { parameters: ["i32", "usize"], result: "usize" },
  // uid_t getuid(void);
  getuid: { parameters: [], result: "u32" },
  // uid_t geteuid(void);
  geteuid: { parameters: [], result: "u32" },
  // gid_t getgid(void);
  getgid: { parameters: [], result: "u32" },
  // gid_t getegid(void);
  getegid: { parameters: [], result: "u32" },
  // int setuid(uid_t uid);
  setuid: { parameters: ["u32"], result: "i32" },
  // int setgid(gid_t gid);
  setgid: { parameters: ["u32"], result: "i32" },
  // int setgroups(size_t count, const gid_t *list);
  setgroups: { parameters: ["usize", "buffer"], result: "i32" },
  // int initgroups(const char *user, gid_t group);
  initgroups: { parameters: ["buffer", "u32"], result: "i32" },
  // struct passwd *getpwnam(const char *name);
  getpwnam: { parameters: ["buffer"], result: "pointer" },
  // struct passwd *getpwuid(uid_t uid);
  getpwuid: { parameters: ["u32"], result: "pointer" },
  // struct group *getgrnam(const char *name);
  getgrnam: { parameters: ["buffer"], result: "pointer" },
  // struct group *getgrgid(gid_t gid);
  getgrgid: { parameters: ["u32"], result: "pointer" },
  // int access(const char *path, int mode);
  access: { parameters: ["buffer", "i32"], result: "i32" },
  // int execve(const char *path, char *const argv[], char *const envp[]);
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
} as const satisfies SymbolTable;
