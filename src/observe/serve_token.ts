/**
 * The bearer token of `serve --token-file`: read from a file that only its
 * owner can read, or refused with one line naming why.
 *
 * @module
 */
import { UsageError } from "../cli/usage.ts";

/**
 * The token in `path`: its first line, from a regular file that neither
 * its group nor others can read or write (mode 0600 or 0400).
 */
export async function readToken(path: string): Promise<string> {
  const fs = await import("node:fs");
  let stat;
  try {
    stat = fs.statSync(path);
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    throw new UsageError(`--token-file ${path}: cannot read it (${code})`, "serve");
  }
  if (!stat.isFile()) throw new UsageError(`--token-file ${path}: not a regular file`, "serve");
  if (stat.mode & 0o077) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
    throw new UsageError(
      `--token-file ${path}: mode ${mode} lets others read it; chmod 600 it`,
      "serve",
    );
  }
  const token = fs.readFileSync(path, "utf8").split("\n")[0]!.trim();
  if (token.length < 16) {
    throw new UsageError(`--token-file ${path}: the token is shorter than 16 characters`, "serve");
  }
  return token;
}
