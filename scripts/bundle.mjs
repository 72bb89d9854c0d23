// Bundles the two commands that run per mail and per call (sendfax, faxmail-notify) into one file each,
// so Node loads one module instead of hundreds: start-up is what dominates a typical fax (see bench/).
// pdfkit stays outside: it reads its font metrics from files next to its own code.
// The admin CLI `faxmail` is not bundled (start-up matters less for it).
import { build } from 'esbuild';

/**
 * Modules a dependency requires at load but calls only on some mails (issue 13: load only what a run
 * needs): mailparser requires html-to-text for HTML bodies (sendfax parses with skipHtmlToText), libmime
 * requires encoding-japanese for ISO-2022-JP text. Each is replaced, for the module that requires it, by a
 * stand-in whose functions load the real module on first call; esbuild evaluates a bundled CommonJS module
 * only when it is first required, so the real one costs nothing until then (about 9 and 5 MB of heap, and
 * 0.1 s of CPU per sendfax run, bench/README.md). LAZY lists the functions each dependency calls.
 */
const LAZY = { 'html-to-text': ['htmlToText', 'convert', 'compile'], 'encoding-japanese': ['convert', 'detect'] };

const lazyModules = {
  name: 'lazy-modules',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(LAZY).join('|')})$`);
    b.onResolve({ filter }, (args) => (args.namespace === 'lazy' ? undefined : { path: args.path, namespace: 'lazy' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => {
      const fns = LAZY[args.path];
      const body = fns.map((f) => `exports.${f} = (...a) => real().${f}(...a);`).join('\n');
      return {
        // The stand-in's own require of the same name resolves to the real module (namespace 'lazy' skips the plugin).
        contents: `let m; const real = () => (m ??= require(${JSON.stringify(args.path)}));\n${body}\n`,
        loader: 'js',
        resolveDir: process.cwd(),
      };
    });
  },
};

/**
 * Packages that ship a CommonJS and an ES module build: mailparser imports libmime's ES build while
 * mailsplit requires its CommonJS one, so both were bundled and both evaluated at start-up. Every import of
 * these resolves to the CommonJS build, so each is loaded once.
 */
const ONE_BUILD = /^(libmime|libqp|libbase64)$/;

const oneBuild = {
  name: 'one-build',
  setup(b) {
    b.onResolve({ filter: ONE_BUILD }, async (args) => {
      if (args.kind === 'require-call' || args.pluginData === 'one-build') return undefined;
      const r = await b.resolve(args.path, {
        kind: 'require-call',
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'one-build',
      });
      return r.errors.length ? undefined : { path: r.path };
    });
  },
};

/**
 * iconv-lite's code tables for Asian charsets (about 500 KB of the bundle's source, loaded by iconv-lite only
 * when a mail uses such a charset) stay in node_modules, required from there on demand: every run parsed
 * and kept them in memory otherwise. The installed program keeps its node_modules (pdfkit is loaded the same way).
 */
const iconvTables = {
  name: 'iconv-tables',
  setup(b) {
    b.onResolve({ filter: /^\.\/tables\/[a-z0-9-]+\.json$/ }, (args) =>
      /node_modules\/iconv-lite\/encodings$/.test(args.resolveDir)
        ? { path: `iconv-lite/encodings/${args.path.slice(2)}`, external: true }
        : undefined,
    );
  },
};

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
  plugins: [lazyModules, oneBuild, iconvTables],
  sourcemap: true,
  logLevel: 'warning',
  // CommonJS dependencies inside an ES module bundle still call require().
  banner: {
    js:
      "import { createRequire as __faxmailRequire } from 'node:module'; const require = " +
      '__faxmailRequire(import.meta.url);',
  },
});
