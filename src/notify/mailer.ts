import type { Transporter } from 'nodemailer';
import type { ConfigFile } from '../config/config-schema.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** Without it, a plain-text email. */
  html?: string;
}

/** Sends email. Contract: resolves once the SMTP server accepted the message; rejects with the server's reason. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** For people: "smtp.example.com:587". No credentials. */
  describe(): string;
}

/**
 * A Mailer over SMTP with nodemailer, from the config's `email:` section. nodemailer is loaded at the first message,
 * not by every command that reads the config.
 */
export function createSmtpMailer(email: NonNullable<ConfigFile['email']>): Mailer {
  const { smtp } = email;
  let transport: Promise<Transporter> | undefined;
  const open = async (): Promise<Transporter> => {
    const { default: nodemailer } = await import('nodemailer');
    return nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ignoreTLS: smtp.ignoreTLS,
      ...(smtp.user !== undefined && { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
      // A slow mail server must not hold a worker for long.
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    });
  };
  return {
    async send(message) {
      transport ??= open();
      await (await transport).sendMail({ from: email.from, ...message });
    },
    describe: () => `${smtp.host}:${smtp.port}`,
  };
}
