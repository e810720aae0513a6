/**
 * The few POSIX path operations the start path needs (see host.ts for why
 * not `node:path`).
 *
 * @module
 */

/** Whether `path` is absolute. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** `path` resolved against `base`, with `.` and `..` folded. */
export function resolvePath(base: string, path: string): string {
  const parts: string[] = [];
  for (const part of (isAbsolute(path) ? path : `${base}/${path}`).split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/** The last component of `path`, without `suffix` if it ends so. */
export function baseName(path: string, suffix = ""): string {
  const trimmed = path.replace(/\/+$/, "");
  const base = trimmed.slice(trimmed.lastIndexOf("/") + 1);
  return suffix && base.endsWith(suffix) && base !== suffix ? base.slice(0, -suffix.length) : base;
}

/** Joins path segments with `/`. */
export function joinPath(...parts: string[]): string {
  return parts.join("/").replace(/\/+/g, "/");
}
