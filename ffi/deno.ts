/**
 * The Deno backend: `Deno.dlopen` (needs `--allow-ffi`).
 *
 * @module
 */
import type { Bound, FfiBackend, Pointer, SymbolTable } from "./backend.ts";

function view(pointer: Pointer): Deno.UnsafePointerView {
  return new Deno.UnsafePointerView(pointer as Deno.PointerObject);
}

/** FFI through `Deno.dlopen`. */
export const denoBackend: FfiBackend = {
  open<S extends SymbolTable>(library: string, symbols: S): Bound<S> {
    const lib = Deno.dlopen(
      library,
      symbols as unknown as Deno.ForeignLibraryInterface,
    );
    return lib.symbols as unknown as Bound<S>;
  },
  address(buffer) {
    return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
  },
  readI32: (pointer, offset) => view(pointer).getInt32(offset),
  readU32: (pointer, offset) => view(pointer).getUint32(offset),
  readPointer: (pointer, offset) => view(pointer).getPointer(offset),
  readCString: (pointer) => view(pointer).getCString(),
  os: () => Deno.build.os,
  arch: () => Deno.build.arch,
  directoryNames: (path) => [...Deno.readDirSync(path)].map((entry) => entry.name),
};
