// Bundles the two commands that run per mail and per call (sendfax, faxmail-notify) into one file each,
// so Node loads one module instead of hundreds: start-up is what dominates a typical fax (see bench/).
// pdfkit stays outside: it reads its font metrics from files next to its own code.
// The admin CLI `faxmail` is not bundled (start-up matters less for it).
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import Handlebars from 'handlebars';

/**
 * The built-in mail templates, precompiled (lib/mail/builtin-templates.ts says why): the module is replaced
 * by one holding Handlebars' precompiled form of every file in lib/mail/templates/, compiled with the
 * options and the Subject split of lib/mail/template.ts itself (its tsc output: the build runs tsc first).
 */
const precompiledTemplates = {
  name: 'precompiled-templates',
  setup(b) {
    b.onLoad({ filter: /lib\/mail\/builtin-templates\.ts$/ }, async () => {
      const { compileOptions, splitMailText } = await import('../dist/lib/mail/template.js');
      const spec = (text, mode) => Handlebars.precompile(text, compileOptions(mode));
      const dir = 'lib/mail/templates';
      const entries = [];
      for (const file of readdirSync(dir).sort()) {
        const source = readFileSync(join(dir, file), 'utf8');
        if (file.endsWith('.html') || file.startsWith('cover.'))
          entries.push(
            `${JSON.stringify(`template:${file}`)}: ${spec(source, file.endsWith('.html') ? 'html' : 'text')}`,
          );
        else if (file.endsWith('.txt')) {
          const { subject, body } = splitMailText(source);
          entries.push(
            `${JSON.stringify(`mail:${file}`)}: { subject: ${spec(subject, 'text')}, body: ${spec(body, 'text')} }`,
          );
        }
      }
      return { contents: `export const PRECOMPILED = {\n${entries.join(',\n')}\n};\n`, loader: 'js' };
    });
  },
};

// Chunk names carry a content hash: without this, every rebuild of changed code would leave the old chunks
// beside the new ones, and `make install` (which copies dist/) would ship them all.
rmSync('dist/bundle', { recursive: true, force: true });

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
  plugins: [precompiledTemplates],
  sourcemap: true,
  logLevel: 'warning',
  // CommonJS dependencies inside an ES module bundle still call require().
  banner: {
    js:
      "import { createRequire as __faxmailRequire } from 'node:module'; const require = " +
      '__faxmailRequire(import.meta.url);',
  },
});
