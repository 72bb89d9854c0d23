import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RETRY_CLASSES } from '../../lib/config/schema.js';
import { T30_CATALOG, RES_FAX_CODES, RES_FAX_CATALOG, REASON_CATALOG } from '../../lib/fax-result/catalog.js';
import {
  classifySent,
  classifyUnanswered,
  errorKey,
  lookupError,
  entryForAttempt,
} from '../../lib/fax-result/classify.js';
import { T30_COMPLETIONS } from '../../lib/fax-result/t30-table.js';

const classes = new Set<string>(RETRY_CLASSES);

function checkEntry(
  what: string,
  entry:
    | { class: string; en: { explain: string; action: string }; ja: { explain: string; action: string } }
    | undefined,
): void {
  assert.ok(entry, `${what} has a catalogue entry`);
  assert.ok(classes.has(entry!.class), `${what}: class ${entry!.class} is a retry class`);
  for (const lang of ['en', 'ja'] as const) {
    assert.ok(entry![lang].explain.length > 10, `${what}: ${lang} explanation`);
    assert.ok(entry![lang].action.length > 10, `${what}: ${lang} action`);
  }
  // Japanese texts are Japanese, English texts are not.
  assert.ok(/[\u3040-\u30ff\u4e00-\u9fff]/.test(entry!.ja.explain), `${what}: ja text is Japanese`);
  assert.not.ok(/[\u3040-\u30ff\u4e00-\u9fff]/.test(entry!.en.explain), `${what}: en text is English`);
}

test('the generated table has all 62 spandsp completion codes (0..61)', () => {
  assert.is(T30_COMPLETIONS.length, 62);
  assert.equal(
    T30_COMPLETIONS.map((r) => r.code),
    [...Array(62).keys()],
  );
  assert.is(
    T30_COMPLETIONS.find((r) => r.name === 'T30_ERR_NOSIZESUPPORT')?.text,
    'Far end cannot receive at the size of image',
  );
});

test('every T.30 completion code, res_fax code and ${REASON} has class, explanation and action in en and ja', () => {
  for (const row of T30_COMPLETIONS) checkEntry(row.name, T30_CATALOG[row.name]);
  for (const code of RES_FAX_CODES) checkEntry(code, RES_FAX_CATALOG[code]);
  for (const reason of [0, 1, 3, 5, 8]) checkEntry(`REASON ${reason}`, REASON_CATALOG[reason]);
  // No stale entries for codes spandsp does not have.
  const names = new Set(T30_COMPLETIONS.map((r) => r.name));
  for (const name of Object.keys(T30_CATALOG)) assert.ok(names.has(name), `${name} exists in spandsp`);
});

test('filtered keys are unique, so each maps back to exactly one full text', () => {
  const keys = new Map<string, string>();
  for (const text of [...T30_COMPLETIONS.map((r) => r.text), ...RES_FAX_CODES]) {
    const k = errorKey(text).toLowerCase();
    assert.not.ok(keys.has(k), `${text} collides with ${keys.get(k)}`);
    keys.set(k, text);
  }
  for (const row of T30_COMPLETIONS) {
    const back = lookupError(errorKey(row.text));
    assert.is(back?.text, row.text, `key of "${row.text}" maps back`);
    assert.is(back?.code, row.name);
  }
});

test('success is FAXOPT(status)=SUCCESS and nothing else', () => {
  const ok = classifySent('SUCCESS', 'HANGUP');
  assert.ok(ok.success);
  assert.is(ok.class, '');
  assert.is(ok.error, 'HANGUP');
  for (const status of ['FAILED', '', 'success', 'SUCCESSX', 'OK']) {
    const r = classifySent(status, '');
    assert.not.ok(r.success, `status "${status}" is not success`);
    assert.is(r.class, 'unknown');
  }
  // An "OK" error with a FAILED status is still a failure.
  assert.not.ok(classifySent('FAILED', 'OK').success);
});

test('known failures map to the documented classes and keep the full spandsp text', () => {
  const cases: [string, string, string][] = [
    ['Far end cannot receive at the size of image', 'incompatible', 'T30_ERR_NOSIZESUPPORT'],
    ['Far end cannot receive at the resolution of the image', 'incompatible', 'T30_ERR_NORESSUPPORT'],
    ['Failed to train with any of the compatible modems', 'line_error', 'T30_ERR_CANNOT_TRAIN'],
    ['The call dropped prematurely', 'dropped', 'T30_ERR_CALLDROPPED'],
    ['TIFF/F file cannot be opened', 'local_error', 'T30_ERR_FILEERROR'],
    ['Unexpected DCN while waiting for DCS or DIS', 'dropped', 'T30_ERR_RX_DCNWHY'],
    ['Timed out waiting for initial communication', 'line_error', 'T30_ERR_T0_EXPIRED'],
    ['FILE_ERROR', 'local_error', 'FILE_ERROR'],
    ['HANGUP', 'dropped', 'HANGUP'],
    ['INIT_ERROR', 'unknown', 'INIT_ERROR'],
    ['T38_NEG_ERROR', 'line_error', 'T38_NEG_ERROR'],
  ];
  for (const [text, cls, code] of cases) {
    const r = classifySent('FAILED', errorKey(text));
    assert.is(r.class, cls, text);
    assert.is(r.code, code, text);
    assert.is(r.error, text, 'full text recovered from the filtered key');
  }
});

test('an unknown error key is class unknown and kept as it came', () => {
  const r = classifySent('FAILED', 'Somethingnew42');
  assert.is(r.class, 'unknown');
  assert.is(r.source, 'unknown');
  assert.is(r.error, 'Somethingnew42');
  // Hostile text is reduced to the key characters.
  assert.is(classifySent('FAILED', '$(id); rm -rf /').error, 'idrmrf');
});

test('${REASON} codes map to busy, no_answer, congestion, unknown', () => {
  assert.is(classifyUnanswered(5).class, 'busy');
  assert.is(classifyUnanswered(3).class, 'no_answer');
  assert.is(classifyUnanswered(8).class, 'congestion');
  assert.is(classifyUnanswered(0).class, 'congestion');
  assert.is(classifyUnanswered(1).class, 'unknown');
  assert.is(classifyUnanswered(42).class, 'unknown');
  assert.is(classifyUnanswered(5).error, 'Busy');
  assert.match(classifyUnanswered(5).entry.ja.explain, '話し中');
});

test('a recorded attempt finds its explanation again', () => {
  assert.is(
    entryForAttempt({ status: 'FAILED', error: 'Far end cannot receive at the size of image' }).class,
    'incompatible',
  );
  assert.is(entryForAttempt({ status: 'UNANSWERED', error: 'Busy', reason: 5 }).class, 'busy');
});

test.run();
