/**
 * Marshalling a {@link SpawnRequest} for `posix_spawn(3)`: its attributes
 * (signal mask, default signals, new session), its file actions in order,
 * and the NULL-terminated `argv` and `envp` arrays of C strings.
 *
 * @module
 */
import type { Bound, FfiBackend } from "./backend.ts";
import { checkZero } from "./binding.ts";
import { cString } from "./layout.ts";
import type { PlatformConstants } from "./platform.ts";
import type * as symbols from "./symbols.ts";

/** A file action applied in the child by `Libc.spawn`, in order. */
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

/** What `Libc.spawn` starts. */
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

/** What marshalling a spawn needs of the binding. */
export interface SpawnContext {
  readonly fns: Bound<typeof symbols.spawn>;
  readonly ffi: FfiBackend;
  readonly constants: PlatformConstants;
}

/**
 * A NULL-terminated array of pointers to C copies of `items`; the copies are
 * pushed onto `keep`, which the caller holds until the call is made.
 */
export function cStringArray(
  items: readonly string[],
  keep: Uint8Array[],
  address: (buffer: Uint8Array) => bigint,
): Uint8Array {
  const array = new BigUint64Array(items.length + 1);
  items.forEach((item, i) => {
    const bytes = cString(item);
    keep.push(bytes);
    array[i] = address(bytes);
  });
  return new Uint8Array(array.buffer);
}

/** `posix_spawn(3)` of `request`; returns the child's pid. */
export function posixSpawn(context: SpawnContext, request: SpawnRequest): number {
  const { fns: s, constants: c } = context;
  const attr = new Uint8Array(c.spawnStructSize);
  const actions = new Uint8Array(c.spawnStructSize);
  const keep: Uint8Array[] = [];
  checkZero("posix_spawnattr_init", s.posix_spawnattr_init!(attr));
  checkZero("posix_spawn_file_actions_init", s.posix_spawn_file_actions_init!(actions));
  const emptyMask = new Uint8Array(c.sigsetSize);
  s.sigemptyset!(emptyMask);
  const defaults = new Uint8Array(c.sigsetSize);
  s.sigemptyset!(defaults);
  for (const signal of request.defaultSignals) s.sigaddset!(defaults, signal);
  let flags = c.POSIX_SPAWN_SETSIGMASK | c.POSIX_SPAWN_SETSIGDEF;
  if (request.newSession) flags |= c.POSIX_SPAWN_SETSID;
  checkZero("posix_spawnattr_setflags", s.posix_spawnattr_setflags!(attr, flags));
  checkZero("posix_spawnattr_setsigmask", s.posix_spawnattr_setsigmask!(attr, emptyMask));
  checkZero("posix_spawnattr_setsigdefault", s.posix_spawnattr_setsigdefault!(attr, defaults));
  for (const action of request.fileActions) {
    if ("open" in action) {
      const path = cString(action.open.path);
      keep.push(path);
      checkZero(
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
      checkZero(
        "posix_spawn_file_actions_adddup2",
        s.posix_spawn_file_actions_adddup2!(actions, action.dup2.from, action.dup2.to),
      );
    } else if ("close" in action) {
      checkZero(
        "posix_spawn_file_actions_addclose",
        s.posix_spawn_file_actions_addclose!(actions, action.close),
      );
    } else {
      addCloseFrom(context, actions, action.closeFrom);
    }
  }
  const address = (buffer: Uint8Array) => context.ffi.address(buffer);
  const argv = cStringArray(request.argv, keep, address);
  const envp = cStringArray(request.env, keep, address);
  const pid = new Int32Array(1);
  checkZero(
    "posix_spawn",
    s.posix_spawn!(new Uint8Array(pid.buffer), cString(request.path), actions, attr, argv, envp),
  );
  return pid[0]!;
}

/** Closes, in the child, every descriptor from `lowest` up. */
function addCloseFrom(context: SpawnContext, actions: Uint8Array, lowest: number): void {
  const { fns, ffi, constants } = context;
  const closeFrom = fns.posix_spawn_file_actions_addclosefrom_np;
  if (closeFrom) {
    checkZero("posix_spawn_file_actions_addclosefrom_np", closeFrom(actions, lowest));
    return;
  }
  // Older C libraries (glibc < 2.34, macOS): close each descriptor open right now.
  const open = ffi.directoryNames(constants.fdDirectory).map(Number).filter(Number.isInteger);
  for (const fd of open) {
    if (fd < lowest) continue;
    checkZero(
      "posix_spawn_file_actions_addclose",
      fns.posix_spawn_file_actions_addclose!(actions, fd),
    );
  }
}
