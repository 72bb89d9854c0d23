/* outcome.ts: the one line sendfax prints for Postfix, without the server's paths; the admin CLI keeps them. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { failureOutcome, withoutPaths } from '../../lib/cli/outcome.js';
import { FaxError } from '../../lib/errors.js';

test('withoutPaths keeps only the last part of every absolute path', () => {
  assert.is(
    withoutPaths('The configuration file /etc/faxmail/faxmail.toml cannot be read (ENOENT).'),
    'The configuration file faxmail.toml cannot be read (ENOENT).',
  );
  assert.is(
    withoutPaths('Setting "paths.gs" in /srv/fax/etc/faxmail.toml: /usr/local/bin/gs does not exist.'),
    'Setting "paths.gs" in faxmail.toml: gs does not exist.',
  );
  assert.is(withoutPaths('dir (/var/spool/faxmail/) and "/tmp/x y"'), 'dir (…) and "x y"');
  // Not paths: fractions, dates, "and/or", URLs' own slashes after a scheme are left alone.
  assert.is(withoutPaths('1/2 page, 2026/11/23, and/or'), '1/2 page, 2026/11/23, and/or');
});

test('failureOutcome: the pipe line has no path, the admin line keeps it', () => {
  const err = new FaxError('config', 'The configuration file /etc/faxmail/faxmail.toml cannot be read (ENOENT).');
  const pipe = failureOutcome(err, 'pipe');
  assert.is(pipe.status, 75);
  assert.is(pipe.text, '4.3.5 The configuration file faxmail.toml cannot be read (ENOENT).\n');
  assert.match(failureOutcome(err, 'cli').text, '/etc/faxmail/faxmail.toml');
});

test.run();
