/**
 * Binding the C library: opening it (glibc's or musl's), binding each symbol
 * on its first call, and turning a failed call's return code into a
 * {@link SysCallError} (`check` and `checkZero` are the only places where
 * that happens). The layers of `Libc` build on {@link LibcBinding}.
 *
 * @module
 */
import type { Bound, FfiBackend, NativeFn, Pointer, SymbolTable } from "./backend.ts";
import { bunBackend } from "./bun.ts";
import { denoBackend } from "./deno.ts";
import { type PlatformConstants, platformConstants } from "./platform.ts";
import * as symbols from "./symbols.ts";

/** The FFI of the runtime running this code. */
export function runtimeBackend(): FfiBackend {
  return "Deno" in globalThis ? denoBackend : bunBackend;
}

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
    const [code, text] = platformConstants(runtimeBackend().os())?.errnos[errno] ??
      [`errno ${errno}`, `System error ${errno}`];
    super(`${text} (${code})`);
    this.name = "SysCallError";
    this.call = call;
    this.errno = errno;
    this.code = code;
  }
}

/** Throws for a non-zero result of a call that returns an errno itself. */
export function checkZero(call: string, result: unknown): void {
  const value = Number(result);
  if (value !== 0) throw new SysCallError(call, value);
}

/**
 * `symbols` bound each on its first call: a Deno symbol costs about 0.3 ms
 * of start-up, so a command pays for the few it calls, not for the table
 * (a Bun `dlopen` of one symbol costs about 0.01 ms).
 */
function bindOnUse<S extends SymbolTable>(
  open: (table: SymbolTable) => Bound<SymbolTable>,
  table: S,
): Bound<S> {
  const bound: Record<string, NativeFn | null> = {};
  for (const name of Object.keys(table)) {
    Object.defineProperty(bound, name, {
      configurable: true,
      get() {
        const fn = open({ [name]: table[name]! })[name] ?? null;
        Object.defineProperty(bound, name, { value: fn });
        return fn;
      },
    });
  }
  return bound as Bound<S>;
}

/** Whether `pointer` is NULL. */
export function isNull(pointer: Pointer): boolean {
  return pointer === null || pointer === 0 || pointer === undefined;
}

/** The C library, bound phase by phase, and the check of its return codes. */
export class LibcBinding {
  /** The runtime's FFI. */
  protected readonly ffi: FfiBackend;
  /** The constants of the running OS. */
  readonly constants: PlatformConstants;
  #core?: Bound<typeof symbols.core>;
  #spawn?: Bound<typeof symbols.spawn>;
  #waiting?: Bound<typeof symbols.waiting>;
  #identity?: Bound<typeof symbols.identity>;
  #errnoLocation?: NativeFn;
  #library: string | undefined;
  #scratchBuffer: Uint8Array | undefined;

  /** Binds libc through `ffi` with the constants `constants`. */
  constructor(ffi: FfiBackend, constants: PlatformConstants) {
    this.ffi = ffi;
    this.constants = constants;
  }

  /**
   * Binds `table` from the C library: glibc's, or (on Alpine and other
   * musl systems) musl's, whichever opens first; then that one always.
   */
  #open<S extends SymbolTable>(table: S): Bound<S> {
    if (this.#library !== undefined) return this.ffi.open(this.#library, table);
    let first: unknown;
    for (const name of [this.constants.library, ...this.constants.otherLibraries]) {
      try {
        const bound = this.ffi.open(name, table);
        this.#library = name;
        return bound;
      } catch (error) {
        first ??= error;
      }
    }
    throw first;
  }

  /**
   * Binds functions that report failure in errno, with errno's location
   * bound before the first of them: bound after a failed call, the library
   * opened in between could change errno before it is read.
   */
  #openCalls<S extends SymbolTable>(table: S): Bound<S> {
    this.#errnoFn();
    return this.#open(table);
  }

  /** The `core` functions. */
  protected get coreFns(): Bound<typeof symbols.core> {
    return this.#core ??= bindOnUse((table) => this.#openCalls(table), symbols.core);
  }
  /** The `spawn` functions. */
  protected get spawnFns(): Bound<typeof symbols.spawn> {
    return this.#spawn ??= bindOnUse((table) => this.#openCalls(table), symbols.spawn);
  }
  /** The `identity` functions. */
  protected get identityFns(): Bound<typeof symbols.identity> {
    return this.#identity ??= bindOnUse((table) => this.#openCalls(table), symbols.identity);
  }
  /** Deno only: the `waiting` functions, which return promises. */
  protected get waitingFns(): Bound<typeof symbols.waiting> {
    return this.#waiting ??= this.#openCalls(symbols.waiting);
  }

  /** The calling thread's errno. */
  errno(): number {
    return this.ffi.readI32(this.#errnoFn()(), 0);
  }

  /** `__errno_location` (macOS: `__error`), bound once. */
  #errnoFn(): NativeFn {
    const name = this.constants.errnoSymbol;
    return this.#errnoLocation ??= this.#open(symbols.errnoLocation(name))[name]!;
  }

  /** Throws for a `-1` result of `call`; returns the result otherwise. */
  protected check(call: string, result: unknown): number {
    const value = Number(result);
    if (value === -1) throw new SysCallError(call, this.errno());
    return value;
  }

  /** One buffer for the reads whose bytes are copied out at once: /proc files are small and many. */
  protected get scratch(): Uint8Array {
    return this.#scratchBuffer ??= new Uint8Array(65536);
  }
}
