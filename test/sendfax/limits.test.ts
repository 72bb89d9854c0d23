/*
 * limits.test.ts (black box): the two limits of a sendfax run, through the BUILT sendfax.
 * fax.convert_timeout is CPU time of the converters: a document that is costly on an IDLE machine is the
 * document's fault (65, bounced at once). fax.time_limit is one wall-clock deadline for the whole run:
 * running past it on an overloaded machine is the server's trouble (75, Postfix tries again).
 * "Loaded machine": sendfax and a busy loop are pinned to the same core (taskset), sendfax at nice 10, so
 * it gets about a tenth of that core whatever else runs on this host; the other core stays free.
 * Proved: the costly PDF with 1 CPU second allowed is refused 65 naming it; the healthy letter under load
 * takes longer than 1 second of wall time to convert (the old wall-clock limit of 1 s would have bounced
 * it) and is queued; the same letter under load with a 2-second deadline is deferred 75, with nothing
 * left behind and no Ghostscript left running.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { attachmentNode, buildMime, textNode } from '../helpers/mail-fixtures.js';
import { bytesOf, makeCostlyPdf } from '../helpers/documents.js';
import { markedPdf } from './marked.js';
import { expectQueued, expectRejected, newEnv, useHarness } from './harness.js';
import type { TestEnv } from '../helpers/sendfax-env.js';
import { figure } from '../helpers/figure.js';

useHarness(test);

const mail = (file: string, filename: string): Buffer =>
  buildMime(
    {
      multipart: 'mixed',
      parts: [textNode('Please fax this.\n'), attachmentNode(bytesOf(file), { type: 'application/pdf', filename })],
    },
    { from: 'Alice <alice@example.org>', subject: 'Fax' },
  );

/** A busy loop on core 0 at normal priority; returns a stop function (kills exactly the process we started). */
function loadCore0(): () => void {
  const hog: ChildProcess = spawn('taskset', ['-c', '0', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
  return () => {
    if (hog.pid !== undefined) {
      try {
        process.kill(hog.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
}

/** sendfax at nice 19 on core 0 next to the busy loop: about 1.5 % of the core. At nice 10 the faster sendfax
 * sometimes converted a 2-page letter in under a second, or finished inside a 2-second deadline, in a full run; at nice
 * 19 it cannot, while its CPU time stays the same. */
const PAST_DEADLINE = ['taskset', '-c', '0', 'nice', '-n', '19'];

/** The JSON lines of an installation's log. */
function logLines(env: TestEnv): Record<string, unknown>[] {
  return readFileSync(env.log, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** gs processes whose working directory is under this installation (ours), still running. */
function ourGs(env: TestEnv): string[] {
  return readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return (
        readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'gs' &&
        readlinkSync(`/proc/${pid}/cwd`).startsWith(env.root)
      );
    } catch {
      return false;
    }
  });
}

test('a document that is costly on an idle machine: 65 5.6.0 naming it, once it has used its CPU seconds', async () => {
  const env = newEnv({ fax: 'convert_timeout = 1\ntime_limit = 120' });
  // About 3.5 CPU seconds of Ghostscript at fine resolution, 10 KB in the mail.
  const t = performance.now();
  await expectRejected(env, mail(makeCostlyPdf(40_000), 'drawing.pdf'), {
    status: 65,
    code: '5.6.0',
    says: ['"drawing.pdf"', 'needs more than 1 second of computing time'],
  });
  figure('convert_timeout = 1: refused after', performance.now() - t);
  assert.equal(ourGs(env), []);
});

test(
  'the same healthy letter on a loaded machine: queued although converting it took longer than ' +
    'convert_timeout in wall time',
  async () => {
    // At about 1.5 % of a core, the run's CPU time (Node and two gs) takes minutes of wall time on a slow one.
    const env = newEnv({ fax: 'convert_timeout = 1\ntime_limit = 600' });
    const stop = loadCore0();
    try {
      const q = await expectQueued(env, mail(markedPdf([1, 2]), 'letter.pdf'), { wrap: PAST_DEADLINE });
      assert.is(q.pages, 2);
    } finally {
      stop();
    }
    const lines = logLines(env);
    const wall = lines.find((l) => l['step'] === 'converted' && typeof l['ms'] === 'number')?.['ms'] as number;
    const cpu = lines.find((l) => l['step'] === 'converted' && typeof l['cpuMs'] === 'number')?.['cpuMs'] as number;
    assert.ok(
      wall > 1000,
      `the conversion took ${wall} ms of wall time: a 1-second wall-clock limit would have bounced this letter`,
    );
    assert.ok(cpu < 1000, `it used ${cpu} ms of CPU time`);
  },
);

test(
  'the same letter on a loaded machine past the run deadline (fax.time_limit = 2): 75 4.3.0, nothing left, ' +
    'no gs running',
  async () => {
    const env = newEnv({ fax: 'convert_timeout = 1\ntime_limit = 2' });
    const stop = loadCore0();
    try {
      await expectRejected(
        env,
        mail(markedPdf([1, 2]), 'letter.pdf'),
        { status: 75, code: '4.3.0', says: ['too busy', 'tried again'] },
        { wrap: PAST_DEADLINE },
      );
    } finally {
      stop();
    }
    assert.equal(ourGs(env), []);
  },
);

test(
  'convert_timeout must be below time_limit (a costly document would otherwise be deferred for days): 75 ' + '4.3.5',
  async () => {
    const env = newEnv({ fax: 'convert_timeout = 120\ntime_limit = 60' });
    await expectRejected(env, mail(markedPdf([1]), 'letter.pdf'), {
      status: 75,
      code: '4.3.5',
      says: ['fax.convert_timeout', 'fax.time_limit'],
    });
  },
);

test.run();
