/*
 * template.test.ts: the mail template language (values, blocks, escaping, syntax errors with lines), the
 * Subject line, loading by file name with the admin's copy first and the built-in one after a broken
 * copy, and every built-in template: receipts and received-fax mails, in both languages, as documented
 * in lib/mail/templates/README.md.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  builtinTemplateDir,
  cleanSubject,
  compileMailText,
  compileTemplate,
  escapeHtml,
  loadTemplate,
  renderMail,
  renderTemplate,
} from '../../lib/mail/template.js';
import { renderReceipt } from '../../lib/notify/receipt.js';
import { createLogger } from '../../lib/log.js';
import { FaxError } from '../../lib/errors.js';
import type { Job } from '../../lib/spool/types.js';

const render = (src: string, data: Record<string, unknown>, mode: 'text' | 'html' = 'text'): string =>
  renderTemplate(compileTemplate(src, 't'), data, mode);

test('values, nested names and missing values', () => {
  assert.is(render('Hi {{name}}, {{job.number}}!{{missing}}', { name: 'Ann', job: { number: '03' } }), 'Hi Ann, 03!');
  assert.is(render('{{n}} {{zero}}', { n: 12, zero: 0 }), '12 0');
});

test('each with item scope, outer names and @number', () => {
  const out = render('{{#each list}}{{@number}}:{{x}}/{{outer}} {{/each}}', {
    outer: 'o',
    list: [{ x: 'a' }, { x: 'b' }],
  });
  assert.is(out, '1:a/o 2:b/o ');
});

test('if / else', () => {
  const src = '{{#if a}}yes{{else}}no{{/if}}';
  assert.is(render(src, { a: 'x' }), 'yes');
  assert.is(render(src, { a: '' }), 'no');
  assert.is(render(src, { a: 0 }), 'no');
  assert.is(render(src, { a: [] }), 'no');
  assert.is(render(src, {}), 'no');
});

test('HTML templates escape every value; text templates do not', () => {
  const evil = '<script>alert("x")</script> & \'q\'';
  assert.is(render('<p>{{v}}</p>', { v: evil }, 'html'), `<p>${escapeHtml(evil)}</p>`);
  assert.not.match(render('<p>{{v}}</p>', { v: evil }, 'html'), '<script>');
  assert.is(render('{{v}}', { v: evil }), evil);
  // A value that looks like a template is not evaluated.
  assert.is(render('{{v}}', { v: '{{#each x}}{{/each}}' }), '{{#each x}}{{/each}}');
});

test('syntax errors name the template and the line', () => {
  for (const [src, what] of [
    ['a\n{{#each x}}', 'never closed'],
    ['{{/if}}', 'without an open block'],
    ['{{#if a}}{{/each}}', 'closes a {{#if}}'],
    ['{{#loop a}}{{/loop}}', 'unknown block'],
    ['x\ny\n{{a b}}', 'line 3'],
  ] as const) {
    try {
      compileTemplate(src, 'mine.txt');
      assert.unreachable(src);
    } catch (err) {
      assert.instance(err, FaxError);
      assert.is((err as FaxError).code, 'config');
      assert.match((err as FaxError).message, 'mine.txt');
      assert.match((err as FaxError).message, what);
    }
  }
});

test('an admin template overrides the built-in one by file name; a broken one falls back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'faxmail-tpl-'));
  writeFileSync(join(dir, 'failure.en.txt'), 'Subject: Oops {{job.number}}\n\nCustom: {{explain}}\n');
  writeFileSync(join(dir, 'success.en.txt'), '{{#if broken}}\n');
  const custom = await loadTemplate('failure.en.txt', dir);
  assert.match(custom.name, dir);
  const fallback = await loadTemplate('success.en.txt', dir);
  assert.not.match(fallback.name, dir);
  const job = {
    id: '20250101-000000-000000000000',
    number: '0312345678',
    requestedNumber: '0312345678',
    subject: 'S',
    pages: 1,
    created: new Date().toISOString(),
    documents: [],
    skipped: [],
    replyTo: 'a@example.com',
    attempts: [
      {
        n: 1,
        at: new Date().toISOString(),
        status: 'UNANSWERED',
        class: 'busy',
        error: 'Busy',
        reason: 5,
        pages: 0,
        rate: 0,
        resolution: '',
        remoteStationId: '',
      },
    ],
  } as unknown as Job;
  const r = await renderReceipt(job, 'failure', { locale: 'en', templatesDir: dir });
  assert.is(r.subject, 'Oops 0312345678');
  assert.is(r.text, 'Custom: The number was busy.\n');
  // the HTML part still comes from the built-in template
  assert.match(r.html, 'The number was busy.');
});

test('the Subject line is a template of its own; body errors count lines from the file start', () => {
  const t = compileMailText('Subject: Hi {{who}}\n\nBody {{who}}\n', 'x.txt');
  assert.is(renderTemplate(t.subject, { who: 'Ann' }, 'text'), 'Hi Ann');
  assert.is(renderTemplate(t.body, { who: 'Ann' }, 'text'), 'Body Ann\n');
  // no Subject line: all body, empty Subject (the caller supplies one)
  const n = compileMailText('Just a body\n', 'n.txt');
  assert.is(renderTemplate(n.subject, {}, 'text'), '');
  assert.is(renderTemplate(n.body, {}, 'text'), 'Just a body\n');
  assert.throws(() => compileMailText('Subject: x\n\nline 3\n{{#if a}}\n', 'b.txt'), /b\.txt.*line 4/);
  // a block may not run from the Subject into the body
  assert.throws(() => compileMailText('Subject: {{#if a}}x\n\n{{/if}}\n', 'c.txt'), /never closed/);
});

test('a value cannot add lines to the Subject or move text into the body', async () => {
  assert.is(cleanSubject('a\r\nBcc: x@example.net\u0085\u2028b\u0000c  '), 'a Bcc: x@example.net b c');
  assert.is(cleanSubject('x'.repeat(300)).length, 200);
  const r = await renderMail(
    'inbound',
    'en',
    { caller: 'A\r\nBcc: evil@example.net\n\nbody?', pages_text: '1 page' },
    { templatesDir: '', html: false },
  );
  assert.is(r.subject, 'Fax from A Bcc: evil@example.net body? (1 page)');
  assert.ok(r.text.startsWith('You have received a fax.\n'), r.text);
  assert.is(r.html, undefined);
});

const dir = builtinTemplateDir();
const readme = readFileSync(join(dir, 'README.md'), 'utf8');
const files = readdirSync(dir)
  .filter((f) => f !== 'README.md')
  .sort();

test('the built-in directory holds exactly the documented templates, in both languages', () => {
  const want = ['success', 'failure', 'inbound'].flatMap((n) =>
    ['en', 'ja'].flatMap((l) => [`${n}.${l}.txt`, `${n}.${l}.html`]),
  );
  want.push('empty-receive.en.txt', 'empty-receive.ja.txt', 'cover.en.txt', 'cover.ja.txt');
  assert.equal(files, want.sort());
  for (const f of files) {
    assert.ok(readme.includes(`\`${f}\``), `README lists ${f}`);
    const text = readFileSync(join(dir, f), 'utf8');
    // The cover page is not a mail: no Subject line (cover-page.test.ts renders it).
    if (f.startsWith('cover.')) compileTemplate(text, f);
    else if (f.endsWith('.txt')) {
      assert.match(text, /^Subject: \S/, `${f} starts with its Subject`);
      compileMailText(text, f);
    } else compileTemplate(text, f);
  }
});

const INBOUND_VALUES = [
  'id',
  'caller',
  'caller_num',
  'caller_name',
  'station',
  'did',
  'time',
  'pages',
  'pages_text',
  'duration',
  'rate',
  'resolution',
  'status',
  'error',
  'partial',
  'pdf_name',
  'tiff_name',
];

test('every value the inbound templates use is documented in the README', () => {
  for (const v of INBOUND_VALUES) assert.ok(readme.includes(`| \`${v}\` |`), `README documents ${v}`);
  for (const f of files.filter((x) => x.startsWith('inbound.') || x.startsWith('empty-receive.'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/\{\{(?:#if )?([a-z_]+)\}\}/g)) {
      if (m[1] === 'else') continue;
      assert.ok(INBOUND_VALUES.includes(m[1]!), `${f} uses ${m[1]}`);
    }
  }
});

function inboundValues(over: Record<string, string> = {}): Record<string, string> {
  return {
    id: 'rx-7',
    caller: 'ACME Corp (0311112222)',
    caller_num: '0311112222',
    caller_name: 'ACME Corp',
    station: '+81 3 1111 2222',
    did: '0312345678',
    time: '2024-06-03 14:05:09 (+09:00)',
    pages: '2',
    pages_text: '2 pages',
    duration: '1 min 5 s',
    rate: '14400 bit/s',
    resolution: '204x98 dpi (standard)',
    status: 'SUCCESS',
    error: '-',
    partial: '',
    pdf_name: 'fax-rx-7.pdf',
    tiff_name: '',
    ...over,
  };
}

test('inbound mail, English: Subject, table, attachments named, no warning for a complete fax', async () => {
  const r = await renderMail('inbound', 'en', inboundValues(), { templatesDir: '', html: true });
  assert.is(r.subject, 'Fax from ACME Corp (0311112222) (2 pages)');
  assert.ok(r.text.startsWith('You have received a fax.\n\nFrom:        ACME Corp (0311112222)\n'), r.text);
  for (const want of [
    'Station ID:  +81 3 1111 2222',
    'To number:   0312345678',
    'Pages:       2',
    'Speed:       14400 bit/s',
    'The fax is attached as fax-rx-7.pdf.',
    'faxmail (fax id rx-7)',
  ]) {
    assert.ok(r.text.includes(want), want);
  }
  assert.not.match(r.text, /WARNING|could not be converted|fax image is attached/);
  assert.match(r.html!, /<td>\+81 3 1111 2222<\/td>/);
  assert.match(r.html!, /attached as <b>fax-rx-7\.pdf<\/b>/);
  assert.not.match(r.html!, /Warning/);
  assert.not.match(r.text + r.html!, /\{\{/);
});

test('inbound mail: partial warning, TIFF beside the PDF, TIFF only when no PDF', async () => {
  const partial = await renderMail(
    'inbound',
    'en',
    inboundValues({
      partial: 'yes',
      pages: '1',
      pages_text: '1 page',
      error: 'The call dropped prematurely',
      tiff_name: 'fax-rx-7.tif',
    }),
    { templatesDir: '', html: true },
  );
  assert.is(partial.subject, '[Incomplete] Fax from ACME Corp (0311112222) (1 page)');
  assert.match(
    partial.text,
    'WARNING: this fax did not arrive completely. The call ended with an error after 1 page\n(The call ' +
      'dropped prematurely).',
  );
  assert.match(partial.text, 'The fax is attached as fax-rx-7.pdf.\nThe fax image is attached as fax-rx-7.tif.');
  assert.match(partial.html!, '<strong>Warning:</strong> this fax did not arrive completely.');
  const tiffOnly = await renderMail('inbound', 'en', inboundValues({ pdf_name: '' }), { templatesDir: '', html: true });
  assert.match(tiffOnly.text, 'The fax could not be converted to PDF; the fax image is attached as it arrived.');
  assert.not.match(tiffOnly.text, 'attached as fax-');
  const ja = await renderMail('inbound', 'ja', inboundValues({ partial: 'yes', pages_text: '1枚', error: 'x' }), {
    templatesDir: '',
    html: true,
  });
  assert.is(ja.subject, '【不完全】ACME Corp (0311112222) からのファクス（1枚）');
  assert.match(
    ja.text,
    'ファクスを受信しました。\n\n注意: このファクスは最後まで受信できませんでした。1枚を受信した後',
  );
  assert.match(ja.html!, '<strong>注意:</strong>');
});

test('inbound mail: hostile values are escaped in HTML and never evaluated', async () => {
  const evil = '<script>alert(1)</script> "&" {{did}} {{#if partial}}x{{/if}}';
  const r = await renderMail(
    'inbound',
    'en',
    inboundValues({ caller: evil, station: '<img src=x onerror=alert(1)>' }),
    { templatesDir: '', html: true },
  );
  assert.not.ok(r.html!.includes('<script>') || r.html!.includes('<img'));
  assert.ok(r.html!.includes(`<td>${escapeHtml(evil)}</td>`));
  assert.ok(r.html!.includes('<td>&lt;img src=x onerror=alert(1)&gt;</td>'));
  assert.is(r.subject, `Fax from ${evil} (2 pages)`);
  assert.ok(r.text.includes('Station ID:  <img src=x onerror=alert(1)>'));
});

test('empty-receive report: text only, in both languages', async () => {
  const v = inboundValues({
    status: 'FAILED',
    error: 'Timed out waiting for initial communication',
    pages: '0',
    pages_text: '0 pages',
    pdf_name: '',
  });
  const en = await renderMail('empty-receive', 'en', v, { templatesDir: '', html: false });
  assert.is(en.subject, 'Fax call without pages from ACME Corp (0311112222)');
  assert.ok(en.text.startsWith('A fax call ended without any page, so nothing was delivered.\n'));
  assert.match(en.text, 'Result:      FAILED Timed out waiting for initial communication');
  const ja = await renderMail('empty-receive', 'ja', v, { templatesDir: '', html: false });
  assert.is(ja.subject, 'ACME Corp (0311112222) からのファクス着信（ページなし）');
  assert.match(ja.text, '結果:         FAILED');
});

test('inbound templates are overridden by file name; a broken copy is logged and the built-in one used', async () => {
  const tdir = mkdtempSync(join(tmpdir(), 'faxmail-tpl-'));
  writeFileSync(
    join(tdir, 'inbound.ja.txt'),
    'Subject: FAX {{did}}{{#if partial}} 不完全{{/if}}\n\n{{pages}} 枚 from {{station}}\n',
  );
  writeFileSync(join(tdir, 'inbound.ja.html'), '<p>{{#partial}}old syntax{{/partial}}</p>');
  const logFile = join(tdir, 'log.jsonl');
  const log = createLogger(logFile, 'test');
  const r = await renderMail('inbound', 'ja', inboundValues({ partial: 'yes' }), {
    templatesDir: tdir,
    html: true,
    log,
  });
  assert.is(r.subject, 'FAX 0312345678 不完全');
  assert.is(r.text, '2 枚 from +81 3 1111 2222\n');
  assert.match(r.html!, 'ファクスを受信しました。');
  const lines = readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; template: string; err: string });
  assert.is(lines.length, 1);
  assert.is(lines[0]!.msg, 'template broken; using the built-in one');
  assert.is(lines[0]!.template, join(tdir, 'inbound.ja.html'));
  assert.match(lines[0]!.err, 'unknown block {{#partial}}');
  // the other language is not touched by the override
  const en = await renderMail('inbound', 'en', inboundValues(), { templatesDir: tdir, html: false });
  assert.is(en.subject, 'Fax from ACME Corp (0311112222) (2 pages)');
});

test('a missing built-in template is an internal error', async () => {
  try {
    await loadTemplate('nonesuch.en.txt', '');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, FaxError);
    assert.is((err as FaxError).code, 'internal');
  }
});

test.run();
