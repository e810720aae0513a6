/**
 * The systemd notification protocol (`sd_notify`): tell a service manager
 * the daemon is ready, what it is doing, and that it is alive.
 *
 * @example Say when the server is ready
 * ```ts ignore
 * import { notify } from "jsr:@seed/daemonize/notify";
 *
 * Deno.serve({ port: 8080 }, () => new Response("hi"));
 * notify.ready("listening on 8080");
 * ```
 *
 * @module
 */
export { type Notify, notify } from "./src/toolkit/notify.ts";
