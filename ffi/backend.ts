/**
 * What each runtime's FFI must provide, with the few facts about the host
 * that only the runtime can tell. Symbol types use Deno's names; the
 * Bun backend translates them. Pointers are opaque values here (`null` is
 * NULL): only `ffi/` looks inside them.
 *
 * @module
 */

/** A C parameter or result type, in Deno's notation. */
export type NativeType =
  | "i16"
  | "i32"
  | "u32"
  | "i64"
  | "usize"
  | "isize"
  | "pointer"
  | "buffer"
  | "void";

/** One C function: parameter and result types, optionally allowed to be absent. */
export interface SymbolSpec {
  readonly parameters: readonly NativeType[];
  readonly result: NativeType;
  readonly optional?: boolean;
  /** Deno only: the call runs on another thread and returns a promise. */
  readonly nonblocking?: boolean;
}

/** A table of C functions to bind. */
export type SymbolTable = Readonly<Record<string, SymbolSpec>>;

/** An opaque native pointer; `null` is NULL. */
export type Pointer = unknown;

/** A value passed to a C function. */
export type NativeArg = number | bigint | Uint8Array | Pointer;

/** A bound C function. */
export type NativeFn = (...args: NativeArg[]) => unknown;

/** The functions of a table, by name; an optional one that is missing is `null`. */
export type Bound<S extends SymbolTable> = { [K in keyof S]: NativeFn | null };

/** One runtime's FFI. */
export interface FfiBackend {
  /** Opens `library` and binds `symbols`. Missing optional symbols come back `null`. */
  open<S extends SymbolTable>(library: string, symbols: S): Bound<S>;
  /** The address of a buffer's first byte, for building arrays of pointers. */
  address(buffer: Uint8Array): bigint;
  /** Reads an `int32_t` at `pointer + offset`. */
  readI32(pointer: Pointer, offset: number): number;
  /** Reads a `uint32_t` at `pointer + offset`. */
  readU32(pointer: Pointer, offset: number): number;
  /** Reads a pointer stored at `pointer + offset`. */
  readPointer(pointer: Pointer, offset: number): Pointer;
  /** Reads the NUL-terminated UTF-8 string at `pointer`. */
  readCString(pointer: Pointer): string;
  /** The operating system, as `process.platform` names it (`linux`, `darwin`). */
  os(): string;
  /** The CPU architecture, as Deno names it (`x86_64`, `aarch64`). */
  arch(): string;
  /** The names in directory `path`, through the runtime's own file system calls. */
  directoryNames(path: string): string[];
}
