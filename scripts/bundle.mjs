// Bundles the two commands that run per mail and per call (sendfax, faxmail-notify) into one file each,
// so Node loads one module instead of hundreds: start-up is what dominates a typical fax (see bench/).
// pdfkit stays outside: it reads its font metrics from files next to its own code.
// The admin CLI `faxmail` is not bundled (start-up matters less for it).
import { build } from 'esbuild';

await build({
  entryPoints: { sendfax: 'bin/sendfax.ts', 'faxmail-notify': 'bin/faxmail-notify.ts' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  // Chunks: `sendfax --version` loads only its own small entry file; the mail path loads the rest.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  target: 'node20',
  external: ['pdfkit'],
  sourcemap: true,
  logLevel: 'warning',
  // CommonJS dependencies inside an ES module bundle still call require().
  banner: {
    js: "import { createRequire as __faxmailRequire } from 'node:module'; const require = __faxmailRequire(import.meta.url);",
  },
});
