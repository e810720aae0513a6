/**
 * The Bun backend: `bun:ffi`, loaded with `import.meta.require` so that the
 * module stays loadable (and type-checkable) under Deno, where it is never
 * called.
 *
 * @module
 */
import type { Bound, FfiBackend, NativeType, Pointer, SymbolSpec, SymbolTable } from "./backend.ts";

interface BunFfi {
  dlopen(
    library: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ): { symbols: Record<string, (...args: unknown[]) => unknown> };
  ptr(buffer: Uint8Array): number;
  CString: new (pointer: number) => { toString(): string };
  read: {
    i32(pointer: number, offset: number): number;
    u32(pointer: number, offset: number): number;
    ptr(pointer: number, offset: number): number;
  };
}

const bunTypes: Record<NativeType, string> = {
  i16: "i16",
  i32: "i32",
  u32: "u32",
  i64: "i64",
  usize: "u64",
  isize: "i64",
  pointer: "ptr",
  buffer: "ptr",
  void: "void",
};

let ffi: BunFfi | undefined;
function bunFfi(): BunFfi {
  ffi ??= (import.meta as unknown as { require(id: string): BunFfi })
    .require("bun:ffi");
  return ffi;
}

function host(): { platform: string; arch: string } {
  return (globalThis as unknown as { process: { platform: string; arch: string } }).process;
}

/** Node's names of CPU architectures that Deno names otherwise. */
const denoArch: Readonly<Record<string, string>> = { x64: "x86_64", arm64: "aarch64" };

function toBun(spec: SymbolSpec) {
  return {
    args: spec.parameters.map((t) => bunTypes[t]),
    returns: bunTypes[spec.result],
  };
}

/** FFI through `bun:ffi`. */
export const bunBackend: FfiBackend = {
  open<S extends SymbolTable>(library: string, symbols: S): Bound<S> {
    const { dlopen } = bunFfi();
    // Bun refuses a whole table when one symbol is missing, so optional
    // symbols are bound one by one.
    const required: Record<string, ReturnType<typeof toBun>> = {};
    const out: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(symbols)) {
      if (!spec.optional) required[name] = toBun(spec);
    }
    if (Object.keys(required).length) Object.assign(out, dlopen(library, required).symbols);
    for (const [name, spec] of Object.entries(symbols)) {
      if (!spec.optional) continue;
      try {
        out[name] = dlopen(library, { [name]: toBun(spec) }).symbols[name];
      } catch {
        out[name] = null;
      }
    }
    return out as Bound<S>;
  },
  address: (buffer) => BigInt(bunFfi().ptr(buffer)),
  readI32: (pointer, offset) => bunFfi().read.i32(pointer as number, offset),
  readU32: (pointer, offset) => bunFfi().read.u32(pointer as number, offset),
  readPointer: (pointer: Pointer, offset) => bunFfi().read.ptr(pointer as number, offset) || null,
  readCString: (pointer) => new (bunFfi().CString)(pointer as number).toString(),
  os: () => host().platform,
  arch: () => denoArch[host().arch] ?? host().arch,
  directoryNames: (path) =>
    (import.meta as unknown as { require(id: string): { readdirSync(p: string): string[] } })
      .require("node:fs").readdirSync(path),
};
