/* paths.ts: where the repository and its built files are, for tests. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** repository root (tests run from dist/test/..., two or three levels below) */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const distDir = join(repoRoot, 'dist');

/**
 * The program users run: sendfax and faxmail-notify as esbuild bundles (scripts/bundle.mjs, what
 * package.json's bin and scripts/install.sh point at), faxmail as plain tsc output.
 */
export const binPath = (name: 'sendfax' | 'faxmail-notify' | 'faxmail'): string =>
  name === 'faxmail' ? join(distDir, 'bin', 'faxmail.js') : join(distDir, 'bundle', `${name}.mjs`);
