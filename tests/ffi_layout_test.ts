/**
 * The C struct layouts of `ffi/layout.ts` (and the argv arrays of
 * `ffi/posix_spawn.ts`), encoded and decoded against bytes written out by
 * hand from the C headers: little-endian, 64-bit.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import {
  cString,
  decodeDirents,
  decodePasswd,
  decodeStat,
  decodeTimespecMicroseconds,
  decodeWaitStatus,
  encodeLoopbackAddress,
  encodePollFds,
  encodeRlimit,
  encodeUnixAddress,
  pollRevents,
  STAT_BYTES,
  type StructReader,
} from "../ffi/layout.ts";
import { getLibc } from "../ffi/libc.ts";
import { platformConstants } from "../ffi/platform.ts";
import { cStringArray } from "../ffi/posix_spawn.ts";
import { test } from "./harness.ts";

const linux = platformConstants("linux")!;
const darwin = platformConstants("darwin")!;

/** `bytes` placed at `offset` of a zeroed buffer of `size` bytes. */
function bytesAt(size: number, ...fields: [offset: number, bytes: number[]][]): Uint8Array {
  const buffer = new Uint8Array(size);
  for (const [offset, bytes] of fields) buffer.set(bytes, offset);
  return buffer;
}

test("a Linux struct stat is read at st_dev 0, st_ino 8, st_mode 24, st_uid 28, st_size 48", () => {
  const stat = bytesAt(
    STAT_BYTES,
    [0, [0x03, 0x08, 0, 0, 0, 0, 0, 0]], // st_dev 0x803
    [8, [0x39, 0x30, 0, 0, 0, 0, 0, 0x01]], // st_ino 0x0100000000003039
    [16, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]], // st_nlink: not read
    [24, [0xa4, 0x81, 0, 0]], // st_mode 0o100644
    [28, [0xe8, 0x03, 0, 0]], // st_uid 1000
    [32, [0xff, 0xff, 0xff, 0xff]], // st_gid: not read
    [48, [0x01, 0x10, 0, 0, 0, 0, 0, 0]], // st_size 4097
  );
  assert.deepEqual(decodeStat(stat, linux.stat), {
    dev: 0x803n,
    ino: 0x0100000000003039n,
    mode: 0o100644,
    uid: 1000,
    size: 4097,
  });
});

test("a macOS struct stat is read with a 4-byte st_dev and a 2-byte st_mode", () => {
  const stat = bytesAt(
    STAT_BYTES,
    [0, [0x05, 0x00, 0x00, 0x01]], // st_dev 0x01000005
    [4, [0xed, 0x41]], // st_mode 0o40755
    [6, [0xff, 0xff]], // st_nlink: not read
    [8, [0x02, 0, 0, 0, 0, 0, 0, 0]], // st_ino 2
    [16, [0xf5, 0x01, 0, 0]], // st_uid 501
    [96, [0x00, 0x04, 0, 0, 0, 0, 0, 0]], // st_size 1024
  );
  assert.deepEqual(decodeStat(stat, darwin.stat), {
    dev: 0x01000005n,
    ino: 2n,
    mode: 0o40755,
    uid: 501,
    size: 1024,
  });
});

test("the Linux stat offsets read what the runtime's own stat reads of the same file", () => {
  for (const path of ["/", "/proc/self/status", "/dev/null"]) {
    const mine = getLibc().fileIdAt(path);
    const theirs = statSync(path, { bigint: true });
    assert.deepEqual(
      mine,
      {
        dev: theirs.dev,
        ino: theirs.ino,
        mode: Number(theirs.mode),
        uid: Number(theirs.uid),
        size: Number(theirs.size),
      },
      path,
    );
  }
});

/** A reader of `bytes` whose `char *` fields are indexes into `strings` (0 is NULL). */
function reader(bytes: Uint8Array, strings: string[]): StructReader {
  const view = new DataView(bytes.buffer);
  return {
    u32: (offset) => view.getUint32(offset, true),
    string: (offset) => {
      const pointer = Number(view.getBigUint64(offset, true));
      return pointer === 0 ? undefined : strings[pointer];
    },
  };
}

test("a Linux struct passwd is read at pw_name 0, pw_uid 16, pw_gid 20, pw_dir 32", () => {
  const strings = ["", "daemon", "x", "/var/lib/daemon", "/usr/sbin/nologin"];
  const passwd = bytesAt(
    48,
    [0, [1, 0, 0, 0, 0, 0, 0, 0]], // pw_name
    [8, [2, 0, 0, 0, 0, 0, 0, 0]], // pw_passwd: not read
    [16, [0x01, 0, 0, 0]], // pw_uid 1
    [20, [0x02, 0x01, 0, 0]], // pw_gid 258
    [24, [2, 0, 0, 0, 0, 0, 0, 0]], // pw_gecos: not read
    [32, [3, 0, 0, 0, 0, 0, 0, 0]], // pw_dir
    [40, [4, 0, 0, 0, 0, 0, 0, 0]], // pw_shell: not read
  );
  assert.deepEqual(decodePasswd(reader(passwd, strings), linux.passwd), {
    name: "daemon",
    uid: 1,
    gid: 258,
    home: "/var/lib/daemon",
  });
});

test("a struct passwd whose pw_dir is NULL has the home /", () => {
  const passwd = bytesAt(48, [0, [1, 0, 0, 0, 0, 0, 0, 0]], [16, [0xe8, 0x03, 0, 0]]);
  assert.equal(decodePasswd(reader(passwd, ["", "nobody"]), linux.passwd).home, "/");
});

test("the Linux passwd offsets read what /etc/passwd says of uid 0", () => {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.split(":")[2] === "0");
  const [name, , uid, gid, , home] = line!.split(":");
  assert.deepEqual(getLibc().account(0), {
    name,
    uid: Number(uid),
    gid: Number(gid),
    home,
  });
});

test("a struct pollfd array holds fd, events and a zeroed revents, 8 bytes each", () => {
  const records = encodePollFds([3, 258], linux.POLLIN);
  assert.deepEqual([...records], [
    ...[0x03, 0, 0, 0, 0x01, 0, 0, 0],
    ...[0x02, 0x01, 0, 0, 0x01, 0, 0, 0],
  ]);
  records[14] = linux.POLLHUP;
  assert.equal(pollRevents(records, 0), 0);
  assert.equal(pollRevents(records, 1), 0x10);
});

test("a Linux sockaddr_un is a 2-byte AF_UNIX and the path with its NUL", () => {
  assert.deepEqual([...encodeUnixAddress("/run/n", linux)], [
    ...[0x01, 0x00],
    ...[0x2f, 0x72, 0x75, 0x6e, 0x2f, 0x6e, 0x00],
  ]);
});

test("an abstract sockaddr_un (@name) starts its path with NUL and has no NUL after it", () => {
  assert.deepEqual([...encodeUnixAddress("@ab", linux)], [0x01, 0x00, 0x00, 0x61, 0x62]);
});

test("a macOS sockaddr_un starts with its length, then a one-byte AF_UNIX", () => {
  assert.deepEqual([...encodeUnixAddress("/t", darwin)], [0x05, 0x01, 0x2f, 0x74, 0x00]);
});

test("a sockaddr_in for the loopback is AF_INET, the port big-endian, 127.0.0.1, then zeros", () => {
  assert.deepEqual([...encodeLoopbackAddress(0x1f90, linux)], [
    ...[0x02, 0x00, 0x1f, 0x90, 127, 0, 0, 1],
    ...[0, 0, 0, 0, 0, 0, 0, 0],
  ]);
  assert.deepEqual([...encodeLoopbackAddress(80, darwin)].slice(0, 8), [
    16,
    2,
    0,
    80,
    127,
    0,
    0,
    1,
  ]);
});

test("a connection to a local port is accepted where a socket listens, refused where none does", async () => {
  const { createServer } = await import("node:net");
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  const libc = getLibc();
  const outcome = async (): Promise<boolean | string> => {
    let fd: number;
    try {
      fd = libc.connectLoopback(port);
    } catch (error) {
      return (error as { code?: string }).code ?? "thrown";
    }
    try {
      for (;;) {
        const made = libc.connected(fd);
        if (made !== undefined) return made;
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      libc.close(fd);
    }
  };
  assert.equal(await outcome(), true);
  await new Promise((resolve) => server.close(resolve));
  assert.ok([false, "ECONNREFUSED"].includes(await outcome()));
});

test("a struct rlimit is the soft then the hard limit, 8 bytes each", () => {
  assert.deepEqual([...encodeRlimit(0x1234, 0x10000)], [
    ...[0x34, 0x12, 0, 0, 0, 0, 0, 0],
    ...[0x00, 0x00, 0x01, 0, 0, 0, 0, 0],
  ]);
});

test("a struct timespec is seconds then nanoseconds, read as whole microseconds", () => {
  const time = bytesAt(
    16,
    [0, [0x02, 0, 0, 0, 0, 0, 0, 0]], // 2 s
    [8, [0x47, 0xe7, 0x16, 0, 0, 0, 0, 0]], // 1 500 999 ns
  );
  assert.equal(decodeTimespecMicroseconds(time), 2_001_500n);
});

test("a wait status holds an exit code in its second byte, or a signal in its low 7 bits", () => {
  assert.deepEqual(decodeWaitStatus(0x0000), { code: 0 });
  assert.deepEqual(decodeWaitStatus(0x0300), { code: 3 });
  assert.deepEqual(decodeWaitStatus(0xff00), { code: 255 });
  assert.deepEqual(decodeWaitStatus(0x0009), { signal: 9 });
  // 0x80: a core was dumped.
  assert.deepEqual(decodeWaitStatus(0x0086), { signal: 6 });
});

test("linux_dirent64 records give their names, without . and ..", () => {
  // ino (8), off (8), reclen (2), type (1), name and NUL, padded to 8 bytes.
  const records = bytesAt(
    80,
    [16, [24, 0]], // "." in 24 bytes
    [19, [0x2e, 0]],
    [24 + 16, [24, 0]], // ".." in 24 bytes
    [24 + 19, [0x2e, 0x2e, 0]],
    [48 + 16, [32, 0]], // "pid.txt" in 32 bytes
    [48 + 19, [0x70, 0x69, 0x64, 0x2e, 0x74, 0x78, 0x74, 0]],
  );
  assert.deepEqual(decodeDirents(records, 80), ["pid.txt"]);
  assert.deepEqual(decodeDirents(records, 48), []);
});

test("a linux_dirent64 record shorter than its header, or past the end, ends the list", () => {
  const records = bytesAt(
    48,
    [16, [24, 0]],
    [19, [0x61, 0]], // "a"
    [24 + 16, [8, 0]], // a record length below the header's 19 bytes
  );
  assert.deepEqual(decodeDirents(records, 48), ["a"]);
  assert.deepEqual(decodeDirents(records, 20), []);
});

test("argv is an array of pointers to C strings, ended by a NULL pointer", () => {
  assert.deepEqual([...cString("ab")], [0x61, 0x62, 0x00]);
  const keep: Uint8Array[] = [];
  const addresses = [0x1000n, 0x20000n];
  const argv = cStringArray(["a", "bc"], keep, () => addresses.shift()!);
  assert.deepEqual([...argv], [
    ...[0x00, 0x10, 0, 0, 0, 0, 0, 0],
    ...[0x00, 0x00, 0x02, 0, 0, 0, 0, 0],
    ...[0, 0, 0, 0, 0, 0, 0, 0],
  ]);
  assert.deepEqual(keep.map((bytes) => [...bytes]), [[0x61, 0x00], [0x62, 0x63, 0x00]]);
});
