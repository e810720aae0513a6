/**
 * The byte layouts of the C structs the libc binding passes or reads (stat,
 * passwd, pollfd, sockaddr_un, sockaddr_in, rlimit, timespec, linux_dirent64, a wait
 * status): plain values in and out, no pointers and no calls, so each is
 * unit-tested on bytes. Offsets that differ by OS come from the platform
 * table; the rest are the same on every OS we have a table for (64-bit,
 * little-endian).
 *
 * @module
 */
import type { PlatformConstants } from "./platform.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A NUL-terminated copy of `text`: a `const char *` argument. */
export function cString(text: string): Uint8Array {
  return encoder.encode(text + "\0");
}

/** UTF-8 bytes as text. */
export function decodeText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
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

/** Bytes to give `stat(2)`: more than any OS's `struct stat` (144 on Linux x86_64 and macOS). */
export const STAT_BYTES = 256;

/** The fields of a `struct stat` that `stat(2)` filled in. */
export function decodeStat(bytes: Uint8Array, layout: PlatformConstants["stat"]): FileId {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { dev, ino, devSize, mode, modeSize, uid, size } = layout;
  return {
    dev: devSize === 8 ? view.getBigUint64(dev, true) : BigInt(view.getUint32(dev, true)),
    ino: view.getBigUint64(ino, true),
    mode: modeSize === 4 ? view.getUint32(mode, true) : view.getUint16(mode, true),
    uid: view.getUint32(uid, true),
    size: Number(view.getBigInt64(size, true)),
  };
}

/** A user account from the system's user database. */
export interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** Reads the fields of a C struct that libc returned by address. */
export interface StructReader {
  /** The `uint32_t` at `offset`. */
  u32(offset: number): number;
  /** The string that the `char *` at `offset` points to; undefined for NULL. */
  string(offset: number): string | undefined;
}

/** The account in a `struct passwd`; a home of NULL is `/`. */
export function decodePasswd(entry: StructReader, layout: PlatformConstants["passwd"]): Account {
  return {
    name: entry.string(layout.name) ?? "",
    uid: entry.u32(layout.uid),
    gid: entry.u32(layout.gid),
    home: entry.string(layout.dir) ?? "/",
  };
}

/** Bytes of a `struct pollfd { int fd; short events; short revents; }`. */
const POLLFD_BYTES = 8;

/** An array of `struct pollfd`, one for each of `fds`, each waiting for `events`. */
export function encodePollFds(fds: readonly number[], events: number): Uint8Array {
  const records = new Uint8Array(POLLFD_BYTES * fds.length);
  const view = new DataView(records.buffer);
  fds.forEach((fd, i) => {
    view.setInt32(POLLFD_BYTES * i, fd, true);
    view.setInt16(POLLFD_BYTES * i + 4, events, true);
  });
  return records;
}

/** The `revents` that `poll(2)` wrote in record `index` of `records`. */
export function pollRevents(records: Uint8Array, index: number): number {
  return new DataView(records.buffer, records.byteOffset).getInt16(POLLFD_BYTES * index + 6, true);
}

/**
 * A `struct sockaddr_un` for `path`, cut to its used length; `@name` is
 * Linux's abstract namespace (a leading NUL and no trailing one).
 */
export function encodeUnixAddress(
  path: string,
  layout: Pick<PlatformConstants, "AF_UNIX" | "sunLen">,
): Uint8Array {
  const abstract = path.startsWith("@");
  const bytes = encoder.encode(abstract ? `\0${path.slice(1)}` : path);
  const address = new Uint8Array(2 + bytes.length + (abstract ? 0 : 1));
  if (layout.sunLen) {
    address[0] = address.length;
    address[1] = layout.AF_UNIX;
  } else {
    new DataView(address.buffer).setUint16(0, layout.AF_UNIX, true);
  }
  address.set(bytes, 2);
  return address;
}

/**
 * A `struct sockaddr_in` for 127.0.0.1, port `port` (in network byte
 * order); macOS's starts with its length.
 */
export function encodeLoopbackAddress(
  port: number,
  layout: Pick<PlatformConstants, "AF_INET" | "sunLen">,
): Uint8Array {
  const address = new Uint8Array(16);
  const view = new DataView(address.buffer);
  if (layout.sunLen) {
    address[0] = address.length;
    address[1] = layout.AF_INET;
  } else {
    view.setUint16(0, layout.AF_INET, true);
  }
  view.setUint16(2, port, false);
  address.set([127, 0, 0, 1], 4);
  return address;
}

/** A `struct rlimit { rlim_t soft; rlim_t hard; }`. */
export function encodeRlimit(soft: number, hard: number): Uint8Array {
  return new Uint8Array(new BigUint64Array([BigInt(soft), BigInt(hard)]).buffer);
}

/** Bytes of a `struct timespec { time_t seconds; long nanoseconds; }`. */
export const TIMESPEC_BYTES = 16;

/** A `struct timespec` in whole microseconds. */
export function decodeTimespecMicroseconds(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getBigInt64(0, true) * 1_000_000n + view.getBigInt64(8, true) / 1000n;
}

/** How a child ended, from `waitpid`. */
export type ExitStatus = { readonly code: number } | {
  readonly signal: number;
};

/** A `waitpid(2)` status word: the exit code, or else the signal that ended the child. */
export function decodeWaitStatus(raw: number): ExitStatus {
  return (raw & 0x7f) === 0 ? { code: (raw >> 8) & 0xff } : { signal: raw & 0x7f };
}

/**
 * The names in the first `length` bytes of `getdents64(2)`'s records, without
 * `.` and `..`. A record is `struct linux_dirent64 { u64 ino; s64 off;
 * u16 reclen; u8 type; char name[]; }`; a malformed one ends the list.
 */
export function decodeDirents(bytes: Uint8Array, length: number): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const names: string[] = [];
  for (let at = 0; at < length;) {
    const recordLength = view.getUint16(at + 16, true);
    if (recordLength < 20 || at + recordLength > length) break;
    let end = at + 19;
    while (end < at + recordLength && bytes[end] !== 0) end++;
    const name = decoder.decode(bytes.subarray(at + 19, end));
    if (name !== "." && name !== "..") names.push(name);
    at += recordLength;
  }
  return names;
}
