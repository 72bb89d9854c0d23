import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSubjectOptions } from '../../lib/mime/subject-options.js';

test('no options: subject unchanged (spaces tidied)', () => {
  assert.equal(parseSubjectOptions('Invoice  May'), { subject: 'Invoice May' });
  assert.equal(parseSubjectOptions(''), { subject: '' });
});

test('resolution and body options are found and removed', () => {
  assert.equal(parseSubjectOptions('Invoice +fine'), { subject: 'Invoice', resolution: 'fine' });
  assert.equal(parseSubjectOptions('+standard Invoice'), { subject: 'Invoice', resolution: 'standard' });
  assert.equal(parseSubjectOptions('a +superfine b +body'), { subject: 'a b', resolution: 'superfine', body: true });
  assert.equal(parseSubjectOptions('x +nobody'), { subject: 'x', body: false });
});

test('case-insensitive, full-width forms accepted', () => {
  assert.equal(parseSubjectOptions('Re: +FINE +Body'), { subject: 'Re:', resolution: 'fine', body: true });
  assert.equal(parseSubjectOptions('請求書 ＋ｆｉｎｅ'), { subject: '請求書', resolution: 'fine' });
});

test('only separate words count', () => {
  assert.equal(parseSubjectOptions('a+fine [+body] +fines fine'), { subject: 'a+fine [+body] +fines fine' });
});

test('the last conflicting option wins', () => {
  assert.equal(parseSubjectOptions('+fine +standard +body +nobody'), {
    subject: '',
    resolution: 'standard',
    body: false,
  });
});

test.run();
