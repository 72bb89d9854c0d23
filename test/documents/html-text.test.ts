import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeEntities, htmlToText } from '../../lib/documents/html-text.js';
import { figure } from '../helpers/figure.js';

test('script, style, head and comments are dropped', () => {
  const t = htmlToText(
    '<html><head><title>T</title><style>p{x:1}</style></head><body><script>alert("x")</script><!-- hidden ' +
      '--><p>Visible</p></body></html>',
  );
  assert.is(t, 'Visible');
});

test('block tags and br become line breaks, list items dashes, cells spaces', () => {
  const t = htmlToText(
    '<h1>Title</h1><p>one<br>two</p><div>three</div><ul><li>a</li><li>b</li></ul>' +
      '<table><tr><td>x</td><td>y</td></tr></table>',
  );
  assert.is(t, 'Title\n\none\ntwo\n\nthree\n\n- a\n- b\n\nx y');
});

test('source line breaks are spaces; <pre> keeps its lines', () => {
  assert.is(htmlToText('<p>a\n  b</p><pre>x\n  y</pre>'), 'a b\n\nx\n  y');
});

test('entities decode, unknown ones stay', () => {
  assert.is(decodeEntities('&amp;&lt;&gt;&quot;&#39;&#x3042;&#12354;&nbsp;&yen;&bogus;'), '&<>"\'ああ ¥&bogus;');
  assert.is(decodeEntities('&#0;&#x110000;'), '\ufffd\ufffd');
  assert.is(htmlToText('<p>Item&nbsp;1 &amp; 日本語</p>'), 'Item 1 & 日本語');
});

test('image alt text is kept', () => {
  assert.is(htmlToText('<p>See <img src="cid:x" alt="chart"> above</p>'), 'See chart above');
});

test('a large HTML body converts (time printed, not asserted)', () => {
  const html = '<div><p>word &amp; word</p><br></div>'.repeat(30_000);
  const t0 = Date.now();
  const t = htmlToText(html);
  figure('htmlToText of a 1 MB body', Date.now() - t0);
  assert.match(t, 'word & word');
});

test.run();
