/**
 * A small SMTP client, enough for a daemon's alerts: EHLO, STARTTLS when the
 * server offers it (or required), AUTH PLAIN or LOGIN when credentials are
 * configured, one message to one or more recipients. Built on `node:net` and
 * `node:tls`, which both runtimes ship; no well-kept SMTP library serves
 * Deno and Bun alike without a runtime dependency.
 */
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";

/** Where and how to send. */
export interface SmtpOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465) instead of STARTTLS. */
  secure?: boolean;
  /** "auto": use STARTTLS when offered; "required": fail without it. */
  starttls?: "auto" | "required" | "never";
  /** Verify the server's certificate. */
  rejectUnauthorized?: boolean;
  user?: string;
  pass?: string;
  /** Name sent with EHLO. */
  clientName?: string;
  /** Milliseconds for each reply. */
  timeout?: number;
}

/** A message. */
export interface Mail {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/** What the session did, for logs and tests. */
export interface SmtpResult {
  tls: boolean;
  authenticated: boolean;
  reply: string;
}

class Connection {
  #socket: Socket;
  #buffer = "";
  #waiting: (() => void) | undefined;
  #error: Error | undefined;

  constructor(socket: Socket, readonly timeout: number) {
    this.#socket = socket;
    this.#attach();
  }

  #attach(): void {
    this.#socket.setEncoding("utf8");
    this.#socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      this.#waiting?.();
    });
    this.#socket.on("error", (error: Error) => {
      this.#error = error;
      this.#waiting?.();
    });
    this.#socket.on("close", () => {
      this.#error ??= new Error("connection closed by the server");
      this.#waiting?.();
    });
  }

  /** The next complete reply: its code and text (lines joined). */
  async reply(): Promise<{ code: number; text: string }> {
    const deadline = Date.now() + this.timeout;
    for (;;) {
      const lines = this.#buffer.split("\r\n");
      const last = lines.findIndex((line) => /^\d{3} /.test(line) || /^\d{3}$/.test(line));
      if (last >= 0) {
        this.#buffer = lines.slice(last + 1).join("\r\n");
        const reply = lines.slice(0, last + 1);
        return {
          code: Number(reply[last]!.slice(0, 3)),
          text: reply.map((l) => l.slice(4)).join("\n"),
        };
      }
      if (this.#error) throw this.#error;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${this.timeout} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiting = undefined;
    }
  }

  /** Sends a command and expects a reply with one of `codes`. */
  async command(line: string, codes: number[], shown = line): Promise<string> {
    this.#socket.write(line + "\r\n");
    const { code, text } = await this.reply();
    if (!codes.includes(code)) throw new Error(`SMTP ${shown} refused: ${code} ${text}`);
    return text;
  }

  /** Upgrades the connection to TLS (after STARTTLS). */
  async upgrade(host: string, rejectUnauthorized: boolean): Promise<void> {
    const plain = this.#socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("error");
    plain.removeAllListeners("close");
    const secure = connectTls({ socket: plain, rejectUnauthorized, ...serverName(host) });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", resolve);
      secure.once("error", reject);
    });
    this.#socket = secure;
    this.#buffer = "";
    this.#attach();
  }

  close(): void {
    this.#socket.end();
    this.#socket.destroy();
  }
}

/** SNI for a host name; none for an IP address (TLS forbids it). */
function serverName(host: string): { servername?: string } {
  return isIP(host) ? {} : { servername: host };
}

function open(options: SmtpOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = options.secure
      ? connectTls({
        host: options.host,
        port: options.port,
        ...serverName(options.host),
        rejectUnauthorized: options.rejectUnauthorized ?? true,
      }, () => resolve(socket))
      : connectTcp({ host: options.host, port: options.port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Escapes lines starting with a dot and ends every line with CRLF. */
function body(mail: Mail): string {
  const headers = [
    `From: <${mail.from}>`,
    `To: ${mail.to.map((to) => `<${to}>`).join(", ")}`,
    `Subject: ${mail.subject.replace(/[\r\n]+/g, " ")}`,
    `Date: ${new Date().toUTCString()}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
  ];
  const text = mail.text.replace(/\r?\n/g, "\r\n").split("\r\n")
    .map((line) => (line.startsWith(".") ? "." + line : line)).join("\r\n");
  return headers.join("\r\n") + "\r\n\r\n" + text + "\r\n.";
}

/** Sends `mail` through the server in `options`. */
export async function sendMail(options: SmtpOptions, mail: Mail): Promise<SmtpResult> {
  const connection = new Connection(await open(options), options.timeout ?? 10_000);
  const name = options.clientName ?? "localhost";
  let tls = !!options.secure;
  let authenticated = false;
  try {
    const greeting = await connection.reply();
    if (greeting.code !== 220) {
      throw new Error(`SMTP greeting refused: ${greeting.code} ${greeting.text}`);
    }
    let features = await connection.command(`EHLO ${name}`, [250]);
    const starttls = options.starttls ?? "auto";
    if (!tls && starttls !== "never") {
      if (/^STARTTLS$/im.test(features)) {
        await connection.command("STARTTLS", [220]);
        await connection.upgrade(options.host, options.rejectUnauthorized ?? true);
        tls = true;
        features = await connection.command(`EHLO ${name}`, [250]);
      } else if (starttls === "required") {
        throw new Error("SMTP server does not offer STARTTLS, which is required");
      }
    }
    if (options.user !== undefined) {
      const methods = /^AUTH[ =](.*)$/im.exec(features)?.[1]?.toUpperCase().split(/\s+/) ?? [];
      if (methods.includes("PLAIN")) {
        const token = btoa(`\0${options.user}\0${options.pass ?? ""}`);
        await connection.command(`AUTH PLAIN ${token}`, [235], "AUTH PLAIN");
      } else if (methods.includes("LOGIN")) {
        await connection.command("AUTH LOGIN", [334]);
        await connection.command(btoa(options.user), [334], "AUTH LOGIN user");
        await connection.command(btoa(options.pass ?? ""), [235], "AUTH LOGIN password");
      } else {
        throw new Error("SMTP server offers no AUTH method we speak (PLAIN, LOGIN)");
      }
      authenticated = true;
    }
    await connection.command(`MAIL FROM:<${mail.from}>`, [250]);
    for (const to of mail.to) await connection.command(`RCPT TO:<${to}>`, [250, 251]);
    await connection.command("DATA", [354]);
    const reply = await connection.command(body(mail), [250], "message");
    await connection.command("QUIT", [221]).catch(() => "");
    return { tls, authenticated, reply };
  } finally {
    connection.close();
  }
}
