/* alive(pid) and waitGone: live processes, other users' processes, exited ones and nonsense pids. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { alive, waitGone } from './process.js';

test('this process and init are alive; nonsense pids are not', () => {
  assert.ok(alive(process.pid));
  assert.ok(alive(1), 'pid 1 exists whoever owns it');
  for (const pid of [0, -1, Number.NaN, 2 ** 31]) assert.not.ok(alive(pid), String(pid));
});

test('a killed child is gone once it is reaped, and waitGone waits for that', async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const pid = child.pid!;
  assert.ok(alive(pid));
  child.kill('SIGKILL');
  await waitGone(pid, 'the killed sleep');
  assert.not.ok(alive(pid));
});

test('waitGone fails naming the process that stays', async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    await waitGone(child.pid!, 'a sleep nobody killed', 50);
    assert.unreachable('it should time out');
  } catch (err) {
    assert.match((err as Error).message, `waiting for a sleep nobody killed (pid ${child.pid}) to be gone`);
  } finally {
    child.kill('SIGKILL');
  }
});

test.run();
