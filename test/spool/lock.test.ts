/*
 * lock.test.ts: flock-based locks hold against other processes and are released the instant a holder dies.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tryLock, withLock } from '../../lib/spool/lock.js';
import { sleep } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'faxmail-lock-'));
const lockModule = fileURLToPath(new URL('../../lib/spool/lock.js', import.meta.url));

/** A separate process that takes the lock, says "held", and keeps it until killed. */
function holder(lockPath: string): Promise<ChildProcess> {
  const script = join(dir, 'holder.mjs');
  writeFileSync(
    script,
    `import { tryLock } from ${JSON.stringify(lockModule)};\nconst l = await tryLock(process.argv[2], ` +
      `10000);\nif (!l) process.exit(3);\nprocess.stdout.write('held\\n');\nsetInterval(() => {}, 1000);\n`,
  );
  const child = spawn(process.execPath, [script, lockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('held')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
}

test('another process holding the lock keeps us out', async () => {
  const p = join(dir, 'a.lock');
  const child = await holder(p);
  try {
    const t0 = Date.now();
    assert.is(await tryLock(p, 300), undefined);
    assert.ok(Date.now() - t0 >= 250, 'waited for the timeout');
    assert.is(await tryLock(p, 0), undefined);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a holder killed with SIGKILL frees the lock at once, and the next process proceeds', async () => {
  const p = join(dir, 'b.lock');
  const child = await holder(p);
  const waiting = withLock(p, async () => Date.now(), 10_000);
  await sleep(200); // deliberate: the waiter is already blocked on the lock when its holder dies
  const killedAt = Date.now();
  child.kill('SIGKILL');
  const enteredAt = await waiting;
  // Far below the 10 s the waiter would otherwise wait: the kernel frees a flock when its holder dies.
  assert.ok(enteredAt - killedAt < 5000, `entered ${enteredAt - killedAt} ms after the kill`);
  // The lock file stays (removing it could give two holders) and is free.
  assert.ok(existsSync(p));
  const again = await tryLock(p, 0);
  assert.ok(again);
  await again!.release();
});

test('a lock file left from before a reboot (no holder) is taken at once', async () => {
  const p = join(dir, 'c.lock');
  writeFileSync(p, '12345\n'); // what the old pid lock left behind; the pid means nothing now
  const l = await tryLock(p, 0);
  assert.ok(l);
  await l!.release();
});

test('withLock serialises critical sections across many waiters and releases on a throw', async () => {
  const p = join(dir, 'd.lock');
  let inside = 0;
  let max = 0;
  await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      withLock(p, async () => {
        inside++;
        max = Math.max(max, inside);
        await sleep(5); // deliberate: stay inside a while, so an overlap would show
        inside--;
        if (i === 3) throw new Error('boom');
      }).catch((e: Error) => assert.is(e.message, 'boom')),
    ),
  );
  assert.is(max, 1);
  const l = await tryLock(p, 0);
  assert.ok(l, 'free after a throw');
  await l!.release();
});

test('a busy lock gives a temporary error naming the lock', async () => {
  const p = join(dir, 'e.lock');
  const child = await holder(p);
  try {
    await withLock(p, async () => undefined, 100);
    assert.unreachable('should have timed out');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'temporary');
    assert.match((e as Error).message, /e\.lock/);
  } finally {
    child.kill('SIGKILL');
  }
});

test.run();
