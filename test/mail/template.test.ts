/*
 * template.test.ts: the mail templates in Handlebars (values, blocks, escaping, what faxmail refuses:
 * partials, unknown helpers, raw output in HTML; errors with lines), the Subject line, loading by file name with the
 * admin's copy first and the built-in one after a broken copy, and every built-in template: receipts and received-fax
 * mails, in both languages, as documented in lib/mail/templates/README.md.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  builtinTemplateDir,
  compileMailText,
  compileTemplate,
  loadTemplate,
  renderMail,
  renderTemplate,
} from '../../lib/mail/template.js';
import { renderReceipt } from '../../lib/notify/receipt.js';
import { createLogger } from '../../lib/log.js';
import { FaxError } from '../../lib/errors.js';
import type { Job } from '../../lib/spool/types.js';
import { attemptRecord } from '../helpers/job-record.js';

const render = async (src: string, data: Record<string, unknown>, mode: 'text' | 'html' = 'text'): Promise<string> =>
  renderTemplate(await compileTemplate(src, 't', mode), data);

test('values, nested names and missing values', async () => {
  assert.is(
    await render('Hi {{name}}, {{job.number}}!{{missing}}', { name: 'Ann', job: { number: '03' } }),
    'Hi Ann, 03!',
  );
  assert.is(await render('{{n}} {{zero}}', { n: 12, zero: 0 }), '12 0');
});

test('each with item scope, ../ for outer names, @index and inc', async () => {
  const out = await render('{{#each list}}{{@index}}/{{inc @index}}:{{x}}/{{../outer}}{{outer}} {{/each}}', {
    outer: 'o',
    list: [{ x: 'a' }, { x: 'b' }],
  });
  assert.is(out, '0/1:a/o 1/2:b/o ');
});

test('if / else', async () => {
  const src = '{{#if a}}yes{{else}}no{{/if}}';
  assert.is(await render(src, { a: 'x' }), 'yes');
  assert.is(await render(src, { a: '' }), 'no');
  assert.is(await render(src, { a: 0 }), 'no');
  assert.is(await render(src, { a: [] }), 'no');
  assert.is(await render(src, {}), 'no');
});

test('a block tag alone on its line takes its line break with it (Handlebars standalone lines)', async () => {
  const src = 'A\n{{#if b}}\n  B\n{{/if}}\nC\n';
  assert.is(await render(src, { b: 'y' }), 'A\n  B\nC\n');
  assert.is(await render(src, {}), 'A\nC\n');
});

test('HTML templates escape every value; text templates do not', async () => {
  const evil = '<script>alert("x")</script> & \'q\' `=`';
  const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27; &#x60;&#x3D;&#x60;';
  assert.is(await render('<p>{{v}}</p>', { v: evil }, 'html'), `<p>${escaped}</p>`);
  assert.is(await render('{{v}}', { v: evil }), evil);
  assert.is(await render('{{{v}}}', { v: evil }), evil);
  // A value that looks like a template is not evaluated.
  assert.is(await render('{{v}}', { v: '{{#each x}}{{/each}}' }), '{{#each x}}{{/each}}');
});

test('no prototype access: a template cannot reach constructors or inherited properties', async () => {
  const out = await render('[{{constructor}}][{{v.constructor.name}}][{{lookup v "__proto__"}}][{{v.toString}}]', {
    v: { a: 1 },
  });
  assert.is(out, '[][][][]');
});

async function compileError(src: string, mode: 'text' | 'html' = 'text'): Promise<FaxError> {
  try {
    await compileTemplate(src, 'mine.txt', mode);
  } catch (err) {
    assert.instance(err, FaxError);
    return err as FaxError;
  }
  throw new Error(`compiled: ${src}`);
}

test('syntax errors name the template and the line', async () => {
  for (const [src, what] of [
    ['a\n{{#each x}}', 'line 2: a block ({{#...}}) is never closed'],
    ['{{/if}}', 'line 1: a closing tag ({{/...}}) without an open block'],
    ['x\n{{#if a}}{{/each}}', "line 2: if doesn't match each"],
    ['{{#loop a}}{{/loop}}', 'line 1: You specified knownHelpersOnly, but used the unknown helper loop'],
    ['x\ny\n{{a b}}', 'line 3: You specified knownHelpersOnly, but used the unknown helper a'],
    ['{{log "hello"}}', 'unknown helper log'],
    ['{{#each}}x{{/each}}', 'Must pass iterator to #each'],
    ['x\n\n{{> footer}}', 'line 3: partials ({{> name}}) are not available'],
  ] as const) {
    const err = await compileError(src);
    assert.is(err.code, 'config');
    assert.match(err.message, 'The mail template mine.txt has an error');
    assert.match(err.message, what);
  }
});

test('raw output ({{{ }}}, {{& }}) is refused in HTML templates: every value comes from outside', async () => {
  for (const src of ['<p>{{{station}}}</p>', '<p>\n{{#if a}}{{& subject}}{{/if}}</p>']) {
    const err = await compileError(src, 'html');
    assert.match(err.message, /line \d: raw output/);
  }
  const dir = mkdtempSync(join(tmpdir(), 'faxmail-tpl-'));
  writeFileSync(join(dir, 'inbound.en.html'), '<p>{{{station}}} {{{pdf_name}}}</p>');
  const r = await renderMail('inbound', 'en', inboundValues({ station: '<img src=x onerror=alert(1)>' }), {
    templatesDir: dir,
    html: true,
  });
  // the built-in template is used, and it escapes
  assert.ok(r.html!.includes('<td>&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;</td>'), r.html);
  assert.not.match(r.html!, '<img');
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
    attempts: [attemptRecord(1)],
  } as unknown as Job;
  const r = await renderReceipt(job, 'failure', { locale: 'en', templatesDir: dir });
  assert.is(r.subject, 'Oops 0312345678');
  assert.is(r.text, 'Custom: The number was busy.\n');
  // the HTML part still comes from the built-in template
  assert.match(r.html, 'The number was busy.');
});

test('the Subject line is a template of its own; body errors count lines from the file start', async () => {
  const t = await compileMailText('Subject: Hi {{who}}\n\nBody {{who}}\n', 'x.txt');
  assert.is(renderTemplate(t.subject, { who: 'Ann' }), 'Hi Ann');
  assert.is(renderTemplate(t.body, { who: 'Ann' }), 'Body Ann\n');
  // no Subject line: all body, empty Subject (the caller supplies one)
  const n = await compileMailText('Just a body\n', 'n.txt');
  assert.is(renderTemplate(n.subject, {}), '');
  assert.is(renderTemplate(n.body, {}), 'Just a body\n');
  const fails = async (src: string, name: string): Promise<string> =>
    compileMailText(src, name).then(
      () => '',
      (err: Error) => err.message,
    );
  assert.match(await fails('Subject: x\n\nline 3\n{{#if a}}{{/each}}\nline 5\n', 'b.txt'), /b\.txt.*line 4/);
  // a block may not run from the Subject into the body
  assert.match(await fails('Subject: {{#if a}}x\n\n{{/if}}\n', 'c.txt'), /never closed/);
});

test('a value cannot add lines to the Subject or move text into the body', async () => {
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

test('the built-in directory holds exactly the documented templates, in both languages', async () => {
  const want = ['success', 'failure', 'inbound'].flatMap((n) =>
    ['en', 'ja'].flatMap((l) => [`${n}.${l}.txt`, `${n}.${l}.html`]),
  );
  want.push('empty-receive.en.txt', 'empty-receive.ja.txt', 'cover.en.txt', 'cover.ja.txt');
  assert.equal(files, want.sort());
  for (const f of files) {
    assert.ok(readme.includes(`\`${f}\``), `README lists ${f}`);
    const text = readFileSync(join(dir, f), 'utf8');
    // The cover page is not a mail: no Subject line (cover-page.test.ts renders it).
    if (f.startsWith('cover.')) await compileTemplate(text, f, 'text');
    else if (f.endsWith('.txt')) {
      assert.match(text, /^Subject: \S/, `${f} starts with its Subject`);
      await compileMailText(text, f);
    } else await compileTemplate(text, f, 'html');
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
  assert.ok(
    r.html!.includes(
      '<td>&lt;script&gt;alert(1)&lt;/script&gt; &quot;&amp;&quot; {{did}} {{#if partial}}x{{/if}}</td>',
    ),
  );
  assert.ok(r.html!.includes('<td>&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;</td>'));
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
  writeFileSync(join(tdir, 'inbound.ja.html'), '<p>{{#if partial}}unclosed</p>');
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
  assert.match(lines[0]!.err, 'a block ({{#...}}) is never closed');
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
