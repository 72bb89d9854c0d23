/*
 * smtp-sink.ts: a real SMTP server on loopback (the smtp-server package) that keeps every message it
 * accepts, for tests of mail delivery. Start it on port 0, read `messages`, parse with mailparser.
 * Modes simulate a mail server in trouble:
 *   accept   take every message (default)
 *   refuse   answer every connection with "421 service not available"
 *   close    drop every connection at once, before the greeting
 *   hang     accept the TCP connection but never greet (the client's greeting timeout must fire)
 *   reject   refuse recipients listed in `rejectRecipients` with 550 (a per-message failure)
 */
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo, Socket } from 'node:net';
import { waitUntil } from './wait.js';

export type SinkMode = 'accept' | 'refuse' | 'close' | 'hang';

export interface SinkMessage {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface SmtpSink {
  port: number;
  host: string;
  messages: SinkMessage[];
  /** connections seen, in any mode */
  connections: number;
  setMode(mode: SinkMode): void;
  /** recipients answered with 550 (in any mode that gets that far) */
  rejectRecipients: Set<string>;
  /** resolves when at least n messages arrived (rejects after timeoutMs) */
  waitFor(n: number, timeoutMs?: number): Promise<SinkMessage[]>;
  parse(i: number): Promise<ParsedMail>;
  close(): Promise<void>;
}

export async function startSmtpSink(initial: SinkMode = 'accept'): Promise<SmtpSink> {
  let mode: SinkMode = initial;
  const messages: SinkMessage[] = [];
  const rejectRecipients = new Set<string>();
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS (a self-signed certificate would only test TLS, not faxmail).
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    size: 50 * 1024 * 1024,
    onConnect(_session: SMTPServerSession, callback) {
      if (mode === 'refuse') {
        const err = Object.assign(new Error('service not available (test sink refusing)'), { responseCode: 421 });
        callback(err);
        return;
      }
      if (mode === 'hang') return; // never greet
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (rejectRecipients.has(address.address.toLowerCase())) {
        callback(Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        messages.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  // The underlying net.Server: count connections, and drop them in 'close' mode before any greeting.
  const net = (server as unknown as { server: import('node:net').Server }).server;
  net.prependListener('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (mode === 'close') socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (net.address() as AddressInfo).port;
  const sink: SmtpSink = {
    port,
    host: '127.0.0.1',
    messages,
    get connections() {
      return connections;
    },
    setMode(m) {
      mode = m;
    },
    rejectRecipients,
    async waitFor(n, timeoutMs = 10_000) {
      await waitUntil(() => messages.length >= n, timeoutMs, `${n} message(s) at the smtp sink`, 20).catch(
        (err: Error) => {
          throw new Error(`${err.message} (${messages.length} arrived)`);
        },
      );
      return messages;
    },
    parse(i) {
      const m = messages[i];
      if (!m) throw new Error(`smtp sink: no message ${i}`);
      return simpleParser(m.raw);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sink;
}
