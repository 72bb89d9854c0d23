/*
 * office-docs.ts: real office documents for tests and the bench, made by LibreOffice itself from text we
 * generate: flat OpenDocument XML (.fodt, .fods, .fodp: plain text, written here) converted with
 * `soffice --convert-to docx|odt|xlsx|pptx`. Nothing binary is committed; everything can be made again.
 *   text documents: one page per `pages`, each page its own paragraph run ("<title> page N of M" and lines),
 *                   each page after the first starting with a page break; A4 or Letter
 *   spreadsheets:   one sheet per page (Calc prints every sheet on a page of its own)
 *   presentations:  one slide per page (16:9, 28 x 15.75 cm)
 * Also: an .odt whose Basic macro runs on load (writes a marker file), for the macro test.
 * The converted files are cached in one directory per content under the system temp dir, so repeated test
 * runs do not pay LibreOffice's start-up (about 5 s a run) again; they appear there by rename, whole.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeZip } from './documents.js';

export const SOFFICE = '/usr/bin/soffice';

export type OfficeFormat = 'docx' | 'odt' | 'xlsx' | 'pptx';

export interface OfficeDocOptions {
  pages: number;
  /** words on every page, so a pdftotext round trip can find them (ASCII letters and digits) */
  title: string;
  /** paper of text documents (spreadsheets print on the default A4; slides are 16:9) */
  paper?: 'a4' | 'letter';
  /** text lines per page (text documents) */
  lines?: number;
}

const esc = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const NS = [
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
  'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"',
  'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
  'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"',
  'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"',
  'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"',
  'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"',
  'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"',
  'xmlns:xlink="http://www.w3.org/1999/xlink"',
  'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0"',
  'xmlns:ooo="http://openoffice.org/2004/office"',
].join(' ');

/** A flat ODF text document: `pages` pages, each starting with a page break (but the first). */
function flatText(o: OfficeDocOptions): string {
  const [w, h] = o.paper === 'letter' ? ['8.5in', '11in'] : ['21cm', '29.7cm'];
  const lines = o.lines ?? 20;
  let body = '';
  for (let p = 1; p <= o.pages; p++) {
    body +=
      `<text:h text:style-name="${p === 1 ? 'H' : 'HBreak'}" text:outline-level="1">${esc(o.title)} ` +
      `page ${p} of ${o.pages}</text:h>`;
    for (let l = 1; l <= lines; l++)
      body +=
        `<text:p text:style-name="P">Line ${l} of page ${p}: the quick brown fox jumps over the lazy ` +
        `dog.</text:p>`;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<office:document ${NS} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:automatic-styles>
<style:page-layout style:name="PL"><style:page-layout-properties fo:page-width="${w}" fo:page-height="${h}"
  fo:margin-top="2cm" fo:margin-bottom="2cm" fo:margin-left="2cm" fo:margin-right="2cm"/></style:page-layout>
<style:style style:name="H" style:family="paragraph"><style:text-properties fo:font-size="20pt"
  fo:font-weight="bold"/></style:style>
<style:style style:name="HBreak" style:family="paragraph"><style:paragraph-properties fo:break-before="page"/>
  <style:text-properties fo:font-size="20pt" fo:font-weight="bold"/></style:style>
<style:style style:name="P" style:family="paragraph"><style:text-properties fo:font-size="11pt"/></style:style>
</office:automatic-styles>
<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="PL"/></office:master-styles>
<office:body><office:text>${body}</office:text></office:body>
</office:document>
`;
}

/** A flat ODF spreadsheet: one small sheet per page. */
function flatSheet(o: OfficeDocOptions): string {
  let sheets = '';
  for (let p = 1; p <= o.pages; p++) {
    let rows =
      `<table:table-row><table:table-cell office:value-type="string"><text:p>${esc(o.title)} sheet ` +
      `${p} of ${o.pages}</text:p></table:table-cell></table:table-row>`;
    for (let r = 1; r <= 10; r++) {
      rows +=
        `<table:table-row><table:table-cell office:value-type="string"><text:p>Item ` +
        `${r}</text:p></table:table-cell><table:table-cell office:value-type="float" ` +
        `office:value="${r * p}"><text:p>${r * p}</text:p></table:table-cell></table:table-row>`;
    }
    sheets +=
      `<table:table table:name="Sheet${p}"><table:table-column ` +
      `table:number-columns-repeated="2"/>${rows}</table:table>`;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<office:document ${NS} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:body><office:spreadsheet>${sheets}</office:spreadsheet></office:body>
</office:document>
`;
}

/** A flat ODF presentation: one slide per page with a title frame. */
function flatSlides(o: OfficeDocOptions): string {
  let slides = '';
  for (let p = 1; p <= o.pages; p++) {
    slides +=
      `<draw:page draw:name="Slide${p}" draw:master-page-name="Default"><draw:frame svg:x="2cm" ` +
      `svg:y="2cm" svg:width="24cm" svg:height="4cm"><draw:text-box><text:p>${esc(o.title)} slide ${p} of ` +
      `${o.pages}</text:p></draw:text-box></draw:frame></draw:page>`;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<office:document ${NS} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.presentation">
<office:automatic-styles><style:page-layout style:name="PM"><style:page-layout-properties fo:page-width="28cm"
  fo:page-height="15.75cm" style:print-orientation="landscape"/></style:page-layout></office:automatic-styles>
<office:master-styles><style:master-page style:name="Default" style:page-layout-name="PM"/></office:master-styles>
<office:body><office:presentation>${slides}</office:presentation></office:body>
</office:document>
`;
}

const SOURCE: Readonly<Record<OfficeFormat, { ext: string; make: (o: OfficeDocOptions) => string }>> = {
  docx: { ext: 'fodt', make: flatText },
  odt: { ext: 'fodt', make: flatText },
  xlsx: { ext: 'fods', make: flatSheet },
  pptx: { ext: 'fodp', make: flatSlides },
};

/** The cache directory for one source text and target format. */
function cacheDirFor(key: string): string {
  return join(tmpdir(), 'faxmail-office-fixtures', createHash('sha256').update(key).digest('hex').slice(0, 16));
}

/**
 * Run soffice once (own profile, HOME and TMPDIR in a scratch dir) to convert `input` to `format` in
 * `outDir`. Throws what execFileSync throws.
 */
function sofficeConvert(input: string, format: string, outDir: string, timeoutMs = 120_000): void {
  const scratch = mkdtempSync(join(tmpdir(), 'faxmail-lo-'));
  try {
    execFileSync(
      SOFFICE,
      [
        '--headless',
        '--norestore',
        '--nolockcheck',
        `-env:UserInstallation=file://${join(scratch, 'profile')}`,
        '--convert-to',
        format,
        '--outdir',
        outDir,
        input,
      ],
      {
        env: { PATH: '/usr/bin:/bin', HOME: scratch, TMPDIR: scratch },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
      },
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * A real office document made by LibreOffice (see the header comment). Returns its path; the same options
 * give the same file, made once per machine.
 */
export function makeOfficeDoc(format: OfficeFormat, opts: OfficeDocOptions): string {
  const src = SOURCE[format];
  const text = src.make(opts);
  const dir = cacheDirFor(`${format}\n${text}`);
  const out = join(dir, `doc.${format}`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, '.make-'));
  try {
    const input = join(work, `doc.${src.ext}`);
    writeFileSync(input, text);
    sofficeConvert(input, format, work);
    // Whole or not at all: another test process may be making the same file.
    renameSync(join(work, `doc.${format}`), out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}

/**
 * An .odt (a ZIP written here) whose Basic macro is bound to the document's load event and, when it runs,
 * writes `marker`. LibreOffice's document events live in content.xml (office:event-listeners).
 */
export function macroOdt(marker: string): Buffer {
  const content = `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content ${NS} office:version="1.3">
<office:scripts><office:event-listeners><script:event-listener script:language="ooo:script"
  script:event-name="dom:load" xlink:type="simple"
  xlink:href="vnd.sun.star.script:Standard.Module1.AutoRun?language=Basic&amp;location=document"/>
</office:event-listeners></office:scripts>
<office:body><office:text><text:p>Document with an auto-run macro</text:p></office:text></office:body>
</office:document-content>`;
  const module = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1"
  script:language="StarBasic">Sub AutoRun
  Open "${marker}" For Output As #1
  Print #1, "the macro ran"
  Close #1
  Shell("/bin/sh", 0, "-c 'echo shell &gt;&gt; ${marker}'")
End Sub
</script:module>`;
  const lib = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">
<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" library:readonly="false"
  library:passwordprotected="false"><library:element library:name="Module1"/></library:library>`;
  const libs = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:libraries PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "libraries.dtd">
<library:libraries xmlns:library="http://openoffice.org/2000/library"
  xmlns:xlink="http://www.w3.org/1999/xlink"><library:library library:name="Standard"
  library:link="false"/></library:libraries>`;
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
<manifest:file-entry manifest:full-path="Basic/script-lc.xml" manifest:media-type="text/xml"/>
<manifest:file-entry manifest:full-path="Basic/Standard/script-lb.xml" manifest:media-type="text/xml"/>
<manifest:file-entry manifest:full-path="Basic/Standard/Module1.xml" manifest:media-type="text/xml"/>
</manifest:manifest>`;
  return encodeZip([
    { name: 'mimetype', data: Buffer.from('application/vnd.oasis.opendocument.text') },
    { name: 'content.xml', data: Buffer.from(content) },
    { name: 'Basic/script-lc.xml', data: Buffer.from(libs) },
    { name: 'Basic/Standard/script-lb.xml', data: Buffer.from(lib) },
    { name: 'Basic/Standard/Module1.xml', data: Buffer.from(module) },
    { name: 'META-INF/manifest.xml', data: Buffer.from(manifest) },
  ]);
}
