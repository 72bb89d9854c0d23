import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileTemplate, renderTemplate, escapeHtml } from '../../lib/notify/template.js';
import { loadTemplate, renderReceipt } from '../../lib/notify/receipt.js';
import { FaxError } from '../../lib/errors.js';
import type { Job } from '../../lib/spool/types.js';

const render = (src: string, data: Record<string, unknown>, mode: 'text' | 'html' = 'text'): string => renderTemplate(compileTemplate(src, 't'), data, mode);

test('values, nested names and missing values', () => {
  assert.is(render('Hi {{name}}, {{job.number}}!{{missing}}', { name: 'Ann', job: { number: '03' } }), 'Hi Ann, 03!');
  assert.is(render('{{n}} {{zero}}', { n: 12, zero: 0 }), '12 0');
});

test('each with item scope, outer names and @number', () => {
  const out = render('{{#each list}}{{@number}}:{{x}}/{{outer}} {{/each}}', { outer: 'o', list: [{ x: 'a' }, { x: 'b' }] });
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
    id: '20250101-000000-000000000000', number: '0312345678', requestedNumber: '0312345678', subject: 'S', pages: 1,
    created: new Date().toISOString(), documents: [], skipped: [], replyTo: 'a@example.com',
    attempts: [{ n: 1, at: new Date().toISOString(), status: 'UNANSWERED', class: 'busy', error: 'Busy', reason: 5, pages: 0, rate: 0, resolution: '', remoteStationId: '' }],
  } as unknown as Job;
  const r = await renderReceipt(job, 'failure', { locale: 'en', templatesDir: dir });
  assert.is(r.subject, 'Oops 0312345678');
  assert.is(r.text, 'Custom: The number was busy.\n');
  // the HTML part still comes from the built-in template
  assert.match(r.html, 'The number was busy.');
});

test.run();
