/**
 * Keeping a long-lived process of ours small: once it has started, the pages
 * of the runtime's executable it touched while starting are handed back to
 * the kernel (`MADV_PAGEOUT`). They stay in the page cache, shared with every
 * other process of the same executable, and come back on the next use.
 *
 * @module
 */
import { getLibc } from "../ffi/libc.ts";

/** `MADV_PAGEOUT` (Linux 5.4): reclaim these pages now. */
const MADV_PAGEOUT = 21;

/**
 * Hands back the resident pages of this process's executable (its code and
 * read-only data); returns how many mappings the kernel took. Nothing
 * changes where the kernel does not know the advice.
 */
export function releaseExecutablePages(): number {
  const libc = getLibc();
  let released = 0;
  try {
    const exe = libc.readlink("/proc/self/exe");
    if (!exe) return 0;
    for (const line of libc.readProcText("/proc/self/maps").split("\n")) {
      // "start-end perms offset dev inode path": only read-only and code mappings
      // of the executable, never writable (or copied-on-write) ones.
      const fields = line.split(/\s+/);
      if (fields[5] !== exe || (fields[1] !== "r-xp" && fields[1] !== "r--p")) continue;
      const [start, end] = fields[0]!.split("-").map((hex) => BigInt(`0x${hex}`));
      if (libc.madvise(start!, end!, MADV_PAGEOUT)) released++;
    }
  } catch {
    // Without /proc or the call: the process only stays larger.
  }
  return released;
}
