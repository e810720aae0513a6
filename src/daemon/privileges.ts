/**
 * Running as another user: look the user and group up while the system's
 * databases are still reachable (before a chroot), then drop supplementary
 * groups, group and user in that order, and prove root can't be regained.
 *
 * @module
 */
import { getLibc } from "../../ffi/libc.ts";
import { attempt, DaemonError } from "../errors.ts";

/** Who the daemon becomes. */
export interface Owner {
  /** The user's name, when the user database knows it. */
  readonly name: string | undefined;
  readonly uid: number | undefined;
  readonly gid: number;
}

/**
 * Resolves `user` and `group` (names or ids) to ids; undefined when neither
 * is given. The group defaults to the user's primary group.
 * @throws {DaemonError} of step `"user"` or `"group"` for unknown ones.
 */
export function resolveOwner(
  user: string | number | undefined,
  group: string | number | undefined,
): Owner | undefined {
  if (user === undefined && group === undefined) return undefined;
  const libc = getLibc();
  const account = user === undefined
    ? undefined
    : attempt("user", `cannot look up user ${user}`, () => libc.account(user));
  if (user !== undefined && !account && typeof user === "string") {
    throw new DaemonError("user", `unknown user "${user}"`);
  }
  let gid: number | undefined;
  if (group !== undefined) {
    gid = attempt(
      "group",
      `cannot look up group ${group}`,
      () => libc.groupId(group),
    );
    if (gid === undefined) {
      if (typeof group === "string") {
        throw new DaemonError("group", `unknown group "${group}"`);
      }
      gid = group;
    }
  }
  gid ??= account?.gid;
  if (gid === undefined) {
    throw new DaemonError(
      "group",
      `user ${user} has no entry in the user database; give a group too`,
    );
  }
  return {
    name: account?.name,
    uid: account?.uid ?? (typeof user === "number" ? user : undefined),
    gid,
  };
}

/**
 * Becomes `owner`: supplementary groups (the user's with `initgroups`, else
 * only the group), then the group, then the user; afterwards checks that
 * the ids are the target ones and that `setuid(0)` is refused.
 * @throws {DaemonError} of step `"group"` or `"user"`.
 */
export function changeOwner(owner: Owner, initgroups: boolean): void {
  const libc = getLibc();
  const before = libc.ids();
  if (before.euid === 0) {
    attempt(
      "group",
      `cannot set supplementary groups for gid ${owner.gid}`,
      () => {
        if (initgroups && owner.name !== undefined) {
          libc.initgroups(owner.name, owner.gid);
        } else {
          libc.setgroups([owner.gid]);
        }
      },
    );
  }
  if (before.gid !== owner.gid || before.egid !== owner.gid) {
    attempt(
      "group",
      `cannot change group to gid ${owner.gid}`,
      () => libc.setgid(owner.gid),
    );
  }
  const uid = owner.uid;
  if (uid === undefined) return;
  if (before.uid !== uid || before.euid !== uid) {
    attempt("user", `cannot change user to uid ${uid}`, () => libc.setuid(uid));
  }
  const after = libc.ids();
  if (after.uid !== uid || after.euid !== uid || after.gid !== owner.gid) {
    throw new DaemonError(
      "user",
      `privilege drop incomplete: uid ${after.uid}/${after.euid}, gid ${after.gid}`,
    );
  }
  if (uid !== 0) {
    let regained = false;
    try {
      libc.setuid(0);
      regained = true;
    } catch {
      // Refused, as it must be.
    }
    if (regained) {
      throw new DaemonError(
        "user",
        `uid ${uid} could regain root after the drop`,
      );
    }
  }
}

/**
 * A change of owner, made in two steps of the set-up: looked up while the
 * user database is reachable (before a chroot), made once the rest is done.
 */
export class OwnerChange {
  readonly user: string | number | undefined;
  readonly group: string | number | undefined;
  readonly initgroups: boolean;
  #owner: Owner | undefined;

  /** The change to `user` and `group` (names or ids; neither: none). */
  constructor(
    user: string | number | undefined,
    group: string | number | undefined,
    initgroups: boolean,
  ) {
    this.user = user;
    this.group = group;
    this.initgroups = initgroups;
  }

  /**
   * Looks the owner up (see {@link resolveOwner}).
   * @throws {DaemonError} of step `"user"` or `"group"` for unknown ones.
   */
  lookUp(): void {
    this.#owner = resolveOwner(this.user, this.group);
  }

  /**
   * Becomes the owner looked up, if any (see {@link changeOwner}).
   * @throws {DaemonError} of step `"group"` or `"user"`.
   */
  make(): void {
    if (this.#owner) changeOwner(this.#owner, this.initgroups);
  }
}
