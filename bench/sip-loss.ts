/*
 * sip-loss.ts: `make bench-sip` (as root): fax success rate and line time over a lossy SIP trunk.
 *   node dist/bench/sip-loss.js [--faxes N] [--loss 0,1,3] [--parallel K] [--pages P]
 * For each loss level, one SIP test bed (test/helpers/sip-bed.ts: faxmail's Asterisk with the shipped
 * template and README's trunk, the carrier's Asterisk, tools/netwire losing that share of packets both ways,
 * signalling and media alike) and N faxes of P pages over T.38 with redundancy (a far end behind the
 * carrier's T.38 gateway) and N over G.711 (a far end on an audio-only path), K calls at a time, mixed.
 * Each fax goes the whole way (mail -> sendfax -> call file -> SendFAX -> faxmail-notify) with retries off
 * (max_attempts = 1), so every row counts single calls: success = the far end got every page and faxmail
 * recorded SUCCESS. Line time = seconds from answer to hangup of the successful calls (median, min-max).
 * Prints a Markdown table (also bench/out/sip-loss.md); exit 1 only if a bed could not start.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeMail } from '../test/helpers/mail-fixtures.js';
import { makePdf } from '../test/helpers/documents.js';
import { farNumber, startSipBed, type SipBed } from '../test/helpers/sip-bed.js';
import { median, outDir } from './measure.js';
import type { Job } from '../lib/spool/types.js';

const argv = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : def;
};
const FAXES = Number(arg('faxes', '10'));
const LOSSES = arg('loss', '0,1,3').split(',').map(Number);
const PARALLEL = Number(arg('parallel', '8'));
const PAGES = Number(arg('pages', '2'));

type Mode = 'T.38' | 'G.711';
interface Result {
  mode: Mode;
  ok: boolean;
  pages: number;
  duration?: number;
  error: string;
  carried: string;
}

async function oneFax(sip: SipBed, pdf: Buffer, mode: Mode, i: number): Promise<Result> {
  const number = farNumber(mode === 'T.38' ? 't38' : 'audio');
  const mail = await composeMail({
    from: 'Alice Example <alice@example.org>',
    to: `fax+${number}@fax.example.com`,
    subject: `bench ${mode} ${i}`,
    text: 'bench',
    attachments: [{ filename: 'letter.pdf', content: pdf, contentType: 'application/pdf' }],
  });
  const r = await sip.faxmail.sendMail(mail, { number });
  if (r.status !== 0 || !r.job) return { mode, ok: false, pages: 0, error: `sendfax ${r.status}`, carried: '' };
  const job: Job = await sip.faxmail.waitForJob(
    r.job,
    (j) => ['sent', 'failed'].includes(j.state),
    600_000,
    'the end of the job',
  );
  const a = job.attempts[0]!;
  const far = sip.farEndCalls(number)[0];
  const ok = job.state === 'sent' && a.pages === PAGES && far?.status === 'SUCCESS';
  return {
    mode,
    ok,
    pages: a.pages,
    ...(a.duration !== undefined ? { duration: a.duration } : {}),
    error: ok ? '' : a.error || a.status,
    carried: a.mode ?? '?',
  };
}

async function level(loss: number, pdf: Buffer): Promise<{ loss: number; results: Result[]; dropped: string }> {
  const sip = await startSipBed({
    name: `bench${loss}`,
    line: { loss },
    seed: 1000 + loss,
    // single calls: no retry hides a failure
    sections: {
      retry: ['busy', 'no_answer', 'congestion', 'line_error', 'dropped', 'unknown']
        .map((c) => `${c} = { after = 1, max_attempts = 1 }`)
        .join('\n'),
    },
  });
  try {
    const todo: [Mode, number][] = [];
    for (let i = 0; i < FAXES; i++) todo.push(['T.38', i], ['G.711', i]);
    const results: Result[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < todo.length) {
          const [mode, i] = todo[next++]!;
          const r = await oneFax(sip, pdf, mode, i);
          results.push(r);
          process.stderr.write(
            `loss ${loss} %: ${mode} #${i} ${r.ok ? 'ok' : `FAILED (${r.error})`} ${r.duration ?? '?'} s over ` +
              `${r.carried}\n`,
          );
        }
      }),
    );
    const s = await sip.wire.stats();
    return { loss, results, dropped: `${s.aToB.dropped + s.bToA.dropped}/${s.aToB.in + s.bToA.in}` };
  } finally {
    await sip.stop();
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'faxmail-bench-sip-'));
  const pdf = readFileSync(makePdf({ pages: PAGES, title: 'Bench letter' }));
  const rows: string[] = [];
  const started = new Date();
  try {
    for (const loss of LOSSES) {
      const { results, dropped } = await level(loss, pdf);
      for (const mode of ['G.711', 'T.38'] as const) {
        const rs = results.filter((r) => r.mode === mode);
        const ok = rs.filter((r) => r.ok);
        const d = ok.map((r) => r.duration).filter((x): x is number => x !== undefined);
        const errors = [...new Set(rs.filter((r) => !r.ok).map((r) => r.error))].join('; ');
        const goal =
          mode === 'T.38' && loss === 3
            ? ok.length * 10 >= rs.length * 9
              ? 'PASS (goal >= 9/10)'
              : 'MISS (goal >= 9/10)'
            : '';
        rows.push(
          `| ${loss} % | ${mode}${mode === 'T.38' ? ' (redundancy)' : ''} | ${ok.length}/${rs.length} | ` +
            `${d.length ? `${median(d).toFixed(0)} s (${Math.min(...d)}–${Math.max(...d)})` : '–'} | ` +
            `${dropped} | ${errors || '–'} | ${goal} |`,
        );
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const table = [
    `SIP trunk under packet loss: ${FAXES} faxes of ${PAGES} pages per row, ${PARALLEL} calls at a time, ` +
      `retries off (${started.toISOString().slice(0, 16)}Z)`,
    '',
    '| Loss (each way) | Fax over | Succeeded | Line time (median, min–max) | Packets dropped / sent on the ' +
      'link | Failures | Goal |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'sip-loss.md'), table);
  process.stdout.write(`${table}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-sip: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
