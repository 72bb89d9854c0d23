/* paths.ts: where the repository and its built files are, for tests. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** repository root (tests run from dist/test/..., two or three levels below) */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const distDir = join(repoRoot, 'dist');
export const binPath = (name: 'sendfax' | 'faxmail-notify' | 'faxmail'): string => join(distDir, 'bin', `${name}.js`);
