/*
 * render.test.ts: the template language and the formatting of received-fax values. Pure functions.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanValue, escapeHtml, formatCaller, formatDuration, formatPages, formatResolution, renderTemplate, templateFileName } from '../../lib/inbound/render.js';
import { BUILTIN_TEMPLATES, TEMPLATE_NAMES } from '../../lib/inbound/templates/index.js';

test('values, sections and inverted sections', () => {
  const t = 'A {{x}}{{#flag}} on{{/flag}}{{^flag}} off{{/flag}} {{missing}}.';
  assert.is(renderTemplate(t, { x: '1', flag: 'yes' }, 'text'), 'A 1 on .');
  assert.is(renderTemplate(t, { x: '1', flag: '' }, 'text'), 'A 1 off .');
});

test('values are inserted once: placeholders inside values stay text; HTML escapes', () => {
  assert.is(renderTemplate('{{a}}|{{b}}', { a: '{{b}}', b: '<i>&"\'' }, 'text'), '{{b}}|<i>&"\'');
  assert.is(renderTemplate('{{a}}', { a: '<script>"x"&\'' }, 'html'), '&lt;script&gt;&quot;x&quot;&amp;&#39;');
  assert.is(escapeHtml('a<b'), 'a&lt;b');
});

test('outside values lose control, separator and direction characters, and are bounded', () => {
  assert.is(cleanValue('a\r\nb\u202ec\u0000d\u2028e'), 'a b c d e');
  assert.is(cleanValue('x'.repeat(100), 10), 'xxxxxxxxx…');
});

test('formatting', () => {
  assert.is(formatDuration(65, 'en'), '1 min 5 s');
  assert.is(formatDuration(9, 'ja'), '9秒');
  assert.is(formatDuration(undefined, 'en'), '-');
  assert.is(formatPages(1, 'en'), '1 page');
  assert.is(formatPages(3, 'ja'), '3枚');
  assert.is(formatResolution(undefined, '8031x3850', 'en'), '204x98 dpi (standard)');
  assert.is(formatResolution(undefined, '8031x7700', 'ja'), '204x196 dpi（ファイン）');
  assert.is(formatResolution({ x: 204, y: 391 }, '', 'en'), '204x391 dpi (superfine)');
  assert.is(formatResolution(undefined, 'garbage', 'en'), '-');
  assert.is(formatCaller('ACME', '0311112222', 'en'), 'ACME (0311112222)');
  assert.is(formatCaller('0311112222', '0311112222', 'en'), '0311112222');
  assert.is(formatCaller('', '', 'ja'), '不明な番号');
});

test('override file names', () => {
  assert.is(templateFileName('inbound-subject', 'ja'), 'inbound-subject.ja.txt');
  assert.is(templateFileName('inbound-body.html', 'en'), 'inbound-body.en.html');
});

test('every built-in template exists in both languages and closes its sections', () => {
  for (const locale of ['en', 'ja'] as const) {
    for (const name of TEMPLATE_NAMES) {
      const t = BUILTIN_TEMPLATES[locale][name];
      assert.ok(t.length > 10, `${locale} ${name}`);
      const out = renderTemplate(t, { partial: 'yes', pdf_name: 'a.pdf', tiff_name: 'a.tif' }, 'text');
      assert.not.match(out, /\{\{[#^/]/, `${locale} ${name} leaves no section tags`);
    }
  }
});

test.run();
