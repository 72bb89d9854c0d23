/*
 * html-text.test.ts: the body page's text of an HTML-only mail (html-to-text as configured in
 * lib/documents/html-text.ts): what is kept, what is dropped, and bounded time on hostile input.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { htmlToText, MAX_HTML_CHARS, MAX_NESTING, nestingOf } from '../../lib/documents/html-text.js';
import { figure } from '../helpers/figure.js';

test('script, style, head and comments are dropped', () => {
  const t = htmlToText(
    '<html><head><title>T</title><style>p{x:1}</style></head><body><script>alert("x")</script><!-- hidden ' +
      '--><p>Visible</p></body></html>',
  );
  assert.is(t, 'Visible');
});

test('headings as written, br and blocks break lines, list items get dashes', () => {
  const t = htmlToText('<h1>Title</h1><p>one<br>two</p><div>three</div><ul><li>a</li><li>b</li></ul>');
  assert.is(t, 'Title\n\none\ntwo\n\nthree\n- a\n- b');
});

test('tables are aligned columns', () => {
  const t = htmlToText(
    '<table><tr><th>Item</th><th>Qty</th></tr><tr><td>Widget</td><td>3</td></tr><tr><td>Long ' +
      'gadget</td><td>12</td></tr></table>',
  );
  assert.is(t, 'Item          Qty\nWidget        3\nLong gadget   12');
});

test('source line breaks are spaces; <pre> keeps its lines', () => {
  assert.is(htmlToText('<p>a\n  b</p><pre>x\n  y</pre>'), 'a b\n\nx\n  y');
});

test('entities decode', () => {
  assert.is(
    htmlToText('<p>Item&nbsp;1 &amp; 日本語 &#x3042;&#12354; &lt;b&gt; &yen;</p>'),
    'Item 1 & 日本語 ああ <b> ¥',
  );
});

test('images and link addresses are dropped, link text kept', () => {
  assert.is(
    htmlToText('<p>See <img src="cid:x" alt="chart"> the <a href="https://t.example/x?id=1">report</a>.</p>'),
    'See the report.',
  );
});

test('nesting is counted in one pass; flat and void elements add nothing', () => {
  assert.is(nestingOf('<div><p>a<p>b<br><img src=x><span>c</span></div>'), 2);
  assert.is(nestingOf('<ul><li>a<li>b</ul><div/>'), 1);
  assert.is(nestingOf('<b><i>'.repeat(300)), 600);
});

test('hostile HTML: 1 MB of nested tags converts in bounded time, its text kept', () => {
  for (const [what, html] of [
    ['nested divs', `${'<div>'.repeat(100_000)}deep text${'</div>'.repeat(100_000)}`],
    ['unclosed b/i', `${'<b><i>'.repeat(150_000)}deep text`],
    ['nested tables', `${'<table><tr><td>'.repeat(60_000)}deep text`],
    ['tags that never close', `${'<a '.repeat(330_000)}>deep text`],
  ] as const) {
    assert.ok(html.length >= 900_000, what);
    assert.ok(nestingOf(html) > MAX_NESTING || what === 'tags that never close', what);
    const t0 = Date.now();
    const t = htmlToText(html);
    figure(`htmlToText of ${(html.length / 1e6).toFixed(1)} MB of ${what} (ms)`, Date.now() - t0);
    // "<a <a <a ...>" is one tag with odd attributes, as in a browser: its text after the end is kept.
    assert.match(t, 'deep text', what);
  }
});

test('a large HTML body converts (time printed, not asserted); longer than the limit is cut, and says so', () => {
  const html = '<div><p>word &amp; word</p><br></div>'.repeat(30_000);
  const t0 = Date.now();
  const t = htmlToText(html);
  figure('htmlToText of a 1.1 MB body (ms)', Date.now() - t0);
  assert.match(t, 'word & word');
  assert.ok(html.length > MAX_HTML_CHARS);
  assert.match(t, `[… the rest of the HTML mail (${html.length - MAX_HTML_CHARS} characters) was cut …]`);
  assert.not.match(htmlToText('<p>short</p>'), 'was cut');
});

test.run();
