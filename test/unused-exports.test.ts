/*
 * No dead code (issue 13): every exported function, constant and class is imported somewhere
 * (tools/unused-exports.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exportedValues, unusedExports } from '../tools/unused-exports.js';
import { repoRoot } from './helpers/paths.js';

test('the scanner sees exported values, not types, comments or generated text', () => {
  const src = [
    'export function a(): void {}',
    'export async function b(): Promise<void> {}',
    'export const C = 1;',
    'export class D {}',
    'export interface E {}',
    'export type F = string;',
    '/* export const G = 2; */',
    'const text = `',
    'export const H = 3;',
    '`;',
  ].join('\n');
  assert.equal(exportedValues(src), ['a', 'b', 'C', 'D']);
});

test('every exported value outside bin/ has an importer that uses it', () => {
  const unused = unusedExports(repoRoot);
  assert.equal(
    unused,
    [],
    `export nothing only its own file uses; remove what nothing uses:\n  ${unused.join('\n  ')}`,
  );
});

test.run();
