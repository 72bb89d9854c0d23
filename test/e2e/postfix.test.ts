/*
 * postfix.test.ts: end to end through a REAL private Postfix (test/helpers/postfix-instance.ts) running the
 * shipped postfix/* snippets and the built sendfax as a non-root pipe user.
 * Covers: a good mail becomes a call file with a valid fax TIFF (sendmail and SMTP); refused sender, no
 * document, bad number and a non-fax address at the fax domain are bounced to the sender's mailbox with
 * faxmail's sentence and the right enhanced status; an unwritable spool defers the mail (nothing lost) and a
 * queue flush after the fix delivers it. (An unwritable outgoing dir does not: the job is queued in the
 * spool and the dispatcher hands its call file over once it can, test/queue/.)
 * Needs root (Postfix, useradd). If Postfix cannot start, the start test FAILS with the reason and the
 * following tests fail with it too: never a silent skip.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chownSync, chmodSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  startPostfixInstance,
  adaptShippedSnippets,
  postfixTool,
  type PostfixInstance,
  type MailboxMessage,
} from '../helpers/postfix-instance.js';
import { composeMail } from '../helpers/mail-fixtures.js';
import { makePdf, bytesOf } from '../helpers/documents.js';
import { parseCallFile } from '../../lib/asterisk/callfile.js';
import { waitUntil } from '../helpers/wait.js';
import { figure } from '../helpers/figure.js';

const started = Date.now();
let pf: PostfixInstance | undefined;
let startError: unknown;

function need(): PostfixInstance {
  if (!pf)
    throw new Error(
      `no private Postfix instance: ${startError instanceof Error ? startError.message : String(startError)}`,
    );
  return pf;
}

const faxAddress = (number: string): string => `fax+${number}@${need().faxDomain}`;

/** Every call file in the outgoing dir, parsed into key -> values. */
function callFiles(): { name: string; keys: Map<string, string[]> }[] {
  const dir = need().fax.outgoing;
  return readdirSync(dir)
    .filter((n) => n.endsWith('.call'))
    .map((name) => {
      const keys = new Map<string, string[]>();
      for (const [k, v] of parseCallFile(readFileSync(join(dir, name), 'utf8')).entries)
        keys.set(k, [...(keys.get(k) ?? []), v]);
      return { name, keys };
    });
}

const callFileFor = (number: string): ReturnType<typeof callFiles>[number] | undefined =>
  callFiles().find((c) => c.keys.get('Channel')?.[0] === `PJSIP/${number}@trunk`);

/** What went wrong, for a failed wait: the end of Postfix's log and faxmail's log. */
function diagnostics(): string {
  const p = need();
  const faxLog = existsSync(p.fax.log)
    ? readFileSync(p.fax.log, 'utf8').split('\n').slice(-8).join('\n')
    : '(no faxmail log)';
  return `\n--- maillog ---\n${p.readLog().split('\n').slice(-25).join('\n')}\n--- faxmail log ---\n${faxLog}`;
}

async function waitOrExplain<T>(
  predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ms: number,
  what: string,
): Promise<T> {
  try {
    return await waitUntil(predicate, ms, what, 250);
  } catch (err) {
    throw new Error(`${(err as Error).message}${diagnostics()}`);
  }
}

/** The call file for `number`, checked field by field, with its fax TIFF decoded by tiffinfo. */
async function expectCallFile(number: string): Promise<void> {
  const call = await waitOrExplain(() => callFileFor(number), 40_000, `a call file for ${number}`);
  const keys = call.keys;
  assert.equal(keys.get('Channel'), [`PJSIP/${number}@trunk`]);
  assert.equal(keys.get('MaxRetries'), ['0']);
  const setvars = new Map(
    (keys.get('Setvar') ?? []).map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)] as const),
  );
  assert.is(setvars.get('FAXMAIL_NUMBER'), number);
  const tiff = setvars.get('FAXFILE');
  assert.ok(tiff?.startsWith(need().fax.spool + '/'), `FAXFILE ${tiff} is in the spool`);
  assert.ok(existsSync(tiff!), `FAXFILE ${tiff} exists`);
  // tiffinfo -D decodes every strip: a damaged image fails here.
  const info = await execa('tiffinfo', ['-D', tiff!], { reject: false, all: true, timeout: 30_000 });
  assert.is(info.exitCode, 0, `tiffinfo reads ${tiff}: ${info.all?.slice(0, 300)}`);
  const st = statSync(join(need().fax.outgoing, call.name));
  assert.is(st.uid, need().user.uid, 'the call file belongs to the pipe user (callfile.owner)');
  const widths = [...(info.stdout.matchAll(/Image Width: (\d+)/g) ?? [])].map((m) => Number(m[1]));
  assert.ok(widths.length >= 1, 'the TIFF has at least one page');
  assert.ok(
    widths.every((w) => w === 1728),
    `every page is 1728 pixels wide (got ${widths.join(', ')})`,
  );
  assert.ok(!/error/i.test(info.stderr), `tiffinfo reports no error: ${info.stderr.slice(0, 300)}`);
  assert.is(
    readdirSync(need().fax.outgoing).filter((n) => n.startsWith('.')).length,
    0,
    'no temp file is left in outgoing',
  );
}

/** The bounce that reports `recipient` in the mailbox of `sender`. */
async function expectBounce(sender: string, recipient: string): Promise<MailboxMessage> {
  return waitOrExplain(
    async () =>
      (await need().readMailbox(sender)).find((m) => m.flat.includes(`Final-Recipient: rfc822; ${recipient}`)),
    40_000,
    `a bounce to ${sender} for ${recipient}`,
  );
}

const pdfMail = (from: string, to: string, subject: string): Promise<Buffer> =>
  composeMail({
    from,
    to,
    subject,
    text: 'Please fax the attached document.',
    attachments: [
      { filename: 'invoice.pdf', content: bytesOf(makePdf({ title: subject })), contentType: 'application/pdf' },
    ],
  });

test('the shipped snippets are adapted by substitution only', () => {
  const root = new URL('../../../', import.meta.url).pathname;
  const shipped = {
    main: readFileSync(join(root, 'postfix', 'main.cf'), 'utf8'),
    master: readFileSync(join(root, 'postfix', 'master.cf'), 'utf8'),
    transport: readFileSync(join(root, 'postfix', 'transport.regexp'), 'utf8'),
  };
  const a = adaptShippedSnippets(shipped, {
    faxDomain: 'fax.test.example',
    transportPath: '/x/transport.regexp',
    user: 'faxmailtest',
    sendfaxArgv: ['/usr/bin/node', '/x/sendfax.js', '--config=/x/f.toml'],
  });
  assert.match(a.main, /^transport_maps = regexp:\/x\/transport\.regexp$/m);
  assert.match(a.main, /^relay_domains = .*fax\.test\.example$/m);
  assert.match(a.main, /^fax_destination_recipient_limit = 1$/m);
  assert.match(
    a.master,
    new RegExp(
      String.raw`user=faxmailtest argv=/usr/bin/node /x/sendfax\.js --config=/x/f\.toml ` +
        String.raw`--sender=\$\{sender\} --recipient=\$\{recipient\} --extension=\$\{extension\}`,
    ),
  );
  assert.match(a.transport, /^\/\^fax\\\+\[\^@\]\+@fax\\\.test\\\.example\$\/\tfax:$/m);
  assert.not.match(
    a.transport + a.main + a.master,
    /fax\.example\.com|fax\\\.example\\\.com|asterisk|\/usr\/local\/libexec/,
  );
});

test('a private Postfix instance starts with the shipped snippets', async () => {
  try {
    pf = await startPostfixInstance();
  } catch (err) {
    startError = err;
    throw err;
  }
  const { stdout } = await execa(postfixTool('postconf'), [
    '-c',
    pf.configDir,
    '-h',
    'transport_maps',
    'recipient_delimiter',
    'fax_destination_recipient_limit',
  ]);
  assert.equal(stdout.split('\n'), [`regexp:${pf.configDir}/transport.regexp`, '+', '1']);
  const master = await execa(postfixTool('postconf'), ['-c', pf.configDir, '-M', 'fax/unix']);
  assert.match(master.stdout, /user=faxmailtest argv=\S+\/install\/libexec\/faxmail\/sendfax --config=/);
  assert.equal(await pf.queueIds(), []);
});

test('a PDF from an allowed sender, injected with sendmail, becomes a call file with a fax TIFF', async () => {
  const p = need();
  await p.submitWithSendmail(await pdfMail('Alice <alice@example.org>', faxAddress('0312340001'), 'sendmail fax'), {
    from: 'alice@example.org',
    to: faxAddress('0312340001'),
  });
  await expectCallFile('0312340001');
  await waitOrExplain(async () => (await p.queue()).length === 0, 10_000, 'an empty queue');
  assert.match(
    p.readLog(),
    new RegExp(
      String.raw`to=<fax\+0312340001@fax\.example\.com>, relay=fax, .*dsn=2\.0\.0, status=sent ` +
        String.raw`\(delivered via fax service \(2\.0\.0 Fax job \S+ queued: 1 page to 0312340001\)\)`,
    ),
  );
});

test('the same over SMTP: 250 with a queue id, then a call file', async () => {
  const p = need();
  const id = await p.submitWithSmtp(await pdfMail('alice@example.org', faxAddress('0312340002'), 'smtp fax'), {
    from: 'alice@example.org',
    to: faxAddress('0312340002'),
  });
  assert.match(id, /^[0-9A-F]{6,}$/i);
  await expectCallFile('0312340002');
  await waitOrExplain(async () => !(await p.queueIds()).includes(id), 10_000, `queue id ${id} to leave the queue`);
});

test('refused sender, no document, bad number and a non-fax address are bounced with the reason', async () => {
  const p = need();
  const cases = [
    {
      from: 'mallory@example.net',
      to: faxAddress('0312340003'),
      mail: await pdfMail('mallory@example.net', faxAddress('0312340003'), 'refused'),
      status: '5.7.1',
      sentence: 'mallory@example.net is not allowed to send faxes through this server',
    },
    {
      from: 'alice@example.org',
      to: faxAddress('0312340004'),
      mail: await composeMail({
        from: 'alice@example.org',
        to: faxAddress('0312340004'),
        subject: 'no document',
        text: 'Just text.',
      }),
      status: '5.6.0',
      sentence: 'The mail has no attachment to fax',
    },
    {
      from: 'alice@example.org',
      to: faxAddress('12ab'),
      mail: await pdfMail('alice@example.org', faxAddress('12ab'), 'bad number'),
      status: '5.1.1',
      sentence: '"12ab" is not a fax number',
    },
    {
      from: 'alice@example.org',
      to: `info@${p.faxDomain}`,
      mail: await pdfMail('alice@example.org', `info@${p.faxDomain}`, 'not a fax address'),
      status: '5.1.1',
      sentence: `Address the fax as fax+NUMBER@${p.faxDomain}`,
    },
  ];
  // One over SMTP, the rest with sendmail: both paths must bounce the same way.
  await Promise.all(cases.map((c, i) => (i === 1 ? p.submitWithSmtp(c.mail, c) : p.submitWithSendmail(c.mail, c))));
  for (const c of cases) {
    const bounce = await expectBounce(c.from, c.to);
    assert.match(bounce.parsed.subject ?? '', /Undelivered Mail Returned to Sender/);
    assert.ok(
      bounce.flat.includes(`Status: ${c.status}`),
      `bounce for ${c.to} has Status: ${c.status}:\n${bounce.raw.slice(0, 3000)}`,
    );
    assert.ok(
      bounce.flat.includes(c.sentence),
      `bounce for ${c.to} says "${c.sentence}":\n${bounce.raw.slice(0, 3000)}`,
    );
    assert.not.ok(/at Object\.|node:internal|\.js:\d+/.test(bounce.flat), 'no stack trace in the bounce');
  }
  assert.is(callFileFor('0312340003'), undefined, 'no call file for the refused sender');
  assert.is(callFileFor('0312340004'), undefined, 'no call file for the mail without document');
  await waitOrExplain(async () => (await p.queue()).length === 0, 10_000, 'an empty queue after the bounces');
});

test('an unwritable spool defers the mail; after the fix a flush delivers it', async () => {
  const p = need();
  const number = '0312340005';
  // Owned by root, 0755: the pipe user (not root) cannot make a job there.
  const jobsDir = join(p.fax.spool, 'jobs');
  chownSync(jobsDir, 0, 0);
  chmodSync(jobsDir, 0o755);
  let fixed = false;
  try {
    await p.submitWithSendmail(await pdfMail('alice@example.org', faxAddress(number), 'deferred fax'), {
      from: 'alice@example.org',
      to: faxAddress(number),
    });
    const entry = await waitOrExplain(
      async () => {
        // Under load a retry can be running when we look (queue "active"); a delay reason means it was deferred.
        const found = (await p.queue()).find(
          (e) =>
            (e.queue_name === 'deferred' || e.queue_name === 'active') &&
            e.recipients.some((r) => r.address === faxAddress(number) && r.delay_reason),
        );
        if (!found) await p.flushQueue();
        return found;
      },
      40_000,
      'the mail in the deferred queue',
    );
    const reason = entry.recipients[0]!.delay_reason!;
    // Postfix keeps the text and moves sendfax's leading "4.3.0" into the DSN status (see the log line).
    assert.match(reason, /A temporary problem on the fax server .*it will be tried again/, `defer reason: ${reason}`);
    assert.match(
      p.readLog(),
      new RegExp(`to=<fax\\+${number}@[^>]+>, relay=fax, .*dsn=4\\.3\\.0, status=deferred \\(A temporary problem`),
    );
    assert.is(callFileFor(number), undefined);
    assert.equal(
      (await p.readMailbox('alice@example.org')).filter((m) =>
        m.flat.includes(`Final-Recipient: rfc822; ${faxAddress(number)}`),
      ),
      [],
      'a deferral is not a bounce',
    );
    // Fix the fault and poke the queue: the same mail is delivered, nothing lost.
    chownSync(jobsDir, p.user.uid, p.user.gid);
    fixed = true;
    await p.flushQueue();
    await expectCallFile(number);
    await waitOrExplain(async () => (await p.queue()).length === 0, 15_000, 'an empty queue after the flush');
    assert.is(
      (await p.readMailbox('alice@example.org')).filter((m) =>
        m.flat.includes(`Final-Recipient: rfc822; ${faxAddress(number)}`),
      ).length,
      0,
      'no bounce for the deferred mail',
    );
    // Exactly one job made it: the failed tries left no job or call file behind.
    assert.is(callFiles().filter((c) => c.keys.get('Channel')?.[0] === `PJSIP/${number}@trunk`).length, 1);
  } finally {
    if (!fixed) chownSync(jobsDir, p.user.uid, p.user.gid);
  }
});

test.after(async () => {
  if (pf) {
    // A figure, not a budget: the time depends on the machine's load (no timed assertions in tests).
    figure('postfix e2e file', Date.now() - started);
    await pf.stop();
  }
});

test.run();
