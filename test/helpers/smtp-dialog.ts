/*
 * smtp-dialog.ts: a minimal SMTP client for tests that need what nodemailer does not do: XCLIENT (a test
 * client on loopback plays a client from another network, as Postfix allows for
 * smtpd_authorized_xclient_hosts) and AUTH PLAIN on a connection without TLS.
 * smtpDialog() sends one mail and returns every reply; it stops at the first reply that is not the expected
 * class and reports it (e.g. 535 for a wrong password) instead of throwing.
 */
import { connect, type Socket } from 'node:net';

export interface DialogOptions {
  port: number;
  /** XCLIENT ADDR=... before logging in: the address Postfix then believes the client has */
  xclientAddr?: string;
  auth?: { user: string; password: string };
  from: string;
  to: string;
  /** the message, CRLF line ends */
  raw: Buffer;
}

export interface DialogResult {
  /** every reply, as "CODE text" (multi-line replies joined with " | ") */
  replies: string[];
  /** the queue id when the mail was accepted */
  queued?: string;
  /** the first reply that stopped the dialog, if any */
  failed?: string;
}

/** Reads whole SMTP replies (multi-line "250-..." ending with "250 ...") from a socket. */
function replyReader(sock: Socket): () => Promise<string> {
  let buf = '';
  const waiting: ((s: string) => void)[] = [];
  const lines: string[] = [];
  const pump = (): void => {
    for (;;) {
      const nl = buf.indexOf('\r\n');
      if (nl < 0) break;
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 2);
      const last = lines.at(-1)!;
      if (/^\d{3}(?: |$)/.test(last)) {
        const reply = lines
          .splice(0)
          .map((l, i) => (i === 0 ? l : l.slice(4)))
          .join(' | ');
        waiting.shift()?.(reply);
      }
    }
  };
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    pump();
  });
  return () => new Promise((resolve) => waiting.push(resolve));
}

/** Send one mail over SMTP with the given XCLIENT and AUTH steps. */
export async function smtpDialog(o: DialogOptions): Promise<DialogResult> {
  const sock = connect({ host: '127.0.0.1', port: o.port });
  sock.setTimeout(30_000, () => sock.destroy(new Error('SMTP dialog timed out')));
  const next = replyReader(sock);
  const replies: string[] = [];
  const expect = async (cls: string): Promise<string | undefined> => {
    const r = await next();
    replies.push(r);
    return r.startsWith(cls) ? r : undefined;
  };
  const send = (line: string): void => void sock.write(`${line}\r\n`);
  const done = (failed?: string, queued?: string): DialogResult => {
    sock.end('QUIT\r\n');
    return { replies, ...(failed ? { failed } : {}), ...(queued ? { queued } : {}) };
  };
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    if (!(await expect('220'))) return done(replies.at(-1));
    send('EHLO client.example.org');
    if (!(await expect('250'))) return done(replies.at(-1));
    if (o.xclientAddr) {
      send(`XCLIENT ADDR=${o.xclientAddr} NAME=[UNAVAILABLE]`);
      // A successful XCLIENT restarts the session with a new greeting.
      if (!(await expect('220'))) return done(replies.at(-1));
      send('EHLO client.example.org');
      if (!(await expect('250'))) return done(replies.at(-1));
    }
    if (o.auth) {
      send(`AUTH PLAIN ${Buffer.from(`\0${o.auth.user}\0${o.auth.password}`).toString('base64')}`);
      if (!(await expect('235'))) return done(replies.at(-1));
    }
    send(`MAIL FROM:<${o.from}>`);
    if (!(await expect('250'))) return done(replies.at(-1));
    send(`RCPT TO:<${o.to}>`);
    if (!(await expect('250'))) return done(replies.at(-1));
    send('DATA');
    if (!(await expect('354'))) return done(replies.at(-1));
    const body = o.raw.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    sock.write(body.endsWith('\r\n') ? body : `${body}\r\n`);
    send('.');
    const accepted = await expect('250');
    if (!accepted) return done(replies.at(-1));
    return done(undefined, /queued as ([0-9A-Za-z]+)/.exec(accepted)?.[1]);
  } catch (err) {
    sock.destroy();
    return { replies, failed: String(err) };
  }
}
