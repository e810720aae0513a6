/**
 * Mail for a daemon's alerts, through nodemailer (npm), which speaks SMTP
 * the way servers expect: STARTTLS when offered (or required), AUTH, dot
 * stuffing, encoded headers. Loaded on the first mail only (about 70 ms).
 * Addresses and the subject are checked first: a line break in a header
 * would let a configured value write SMTP commands or headers of its own.
 */

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
  /** Credentials were given (and accepted: a refused login throws). */
  authenticated: boolean;
  /** The server's reply to the message. */
  reply: string;
}

/** The part of nodemailer used here. */
interface Nodemailer {
  createTransport(options: Record<string, unknown>): {
    sendMail(message: Record<string, unknown>): Promise<{ response: string }>;
    close(): void;
  };
}

/** An address as SMTP takes it: no line break, space, angle bracket or control character. */
// deno-lint-ignore no-control-regex
const ADDRESS = /^[^\s<>()\[\]\\,;:"\x00-\x1f\x7f]+@[^\s<>()\[\]\\,;:"@\x00-\x1f\x7f]+$/;

/**
 * Refuses a mail whose header values could break out of their line.
 * @throws {Error} naming the field.
 */
export function checkMail(mail: Mail): void {
  for (const [field, value] of [["from", mail.from], ...mail.to.map((t) => ["to", t])]) {
    if (!ADDRESS.test(value!)) {
      throw new Error(`invalid ${field} address ${JSON.stringify(value)}`);
    }
  }
  if (mail.to.length === 0) throw new Error("no recipient");
  // deno-lint-ignore no-control-regex
  if (/[\r\n\x00]/.test(mail.subject)) {
    throw new Error(`invalid subject ${JSON.stringify(mail.subject)}: a line break`);
  }
}

/** Sends `mail` through the server in `options`. */
export async function sendMail(options: SmtpOptions, mail: Mail): Promise<SmtpResult> {
  checkMail(mail);
  const nodemailer = (await import("nodemailer")).default as unknown as Nodemailer;
  const starttls = options.starttls ?? "auto";
  const timeout = options.timeout ?? 10_000;
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: !!options.secure,
    requireTLS: starttls === "required",
    ignoreTLS: starttls === "never",
    tls: { rejectUnauthorized: options.rejectUnauthorized ?? true },
    name: options.clientName ?? "localhost",
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    ...(options.user !== undefined
      ? { auth: { user: options.user, pass: options.pass ?? "" } }
      : {}),
  });
  try {
    const info = await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
    });
    return { authenticated: options.user !== undefined, reply: info.response };
  } finally {
    transport.close();
  }
}
