/**
 * Socket activation (systemd's `sd_listen_fds`): the listening sockets a
 * service manager passed to this process, on descriptors 3, 4, …
 *
 * @example A server started by a systemd socket unit
 * ```ts ignore
 * import { listenFds } from "jsr:@seed/daemonize/socket-activation";
 *
 * const [socket] = listenFds();
 * if (socket) console.log(`listening on descriptor ${socket.fd} (${socket.name})`);
 * ```
 *
 * @module
 */
export { type ListenFd, listenFds } from "./src/daemon/socket_activation.ts";
