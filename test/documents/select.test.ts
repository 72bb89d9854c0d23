import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatSkipped, selectDocuments, type SelectOptions } from '../../lib/documents/select.js';
import type { MimePart } from '../../lib/mime/parse.js';
import type { DocKind } from '../../lib/mime/sniff.js';

let idx = 0;
function part(p: Partial<MimePart>): MimePart {
  idx += 1;
  return {
    index: idx,
    filename: '',
    contentType: 'application/octet-stream',
    disposition: 'attachment',
    cid: '',
    related: false,
    size: 50_000,
    path: `/w/p${idx}`,
    depth: 0,
    ...p,
  };
}
const opts: SelectOptions = { minImageBytes: 8192, officeAvailable: false, tnefAvailable: false };
const sel = (parts: MimePart[], kinds: (DocKind | undefined)[], o: Partial<SelectOptions> = {}) =>
  selectDocuments(parts, kinds, { ...opts, ...o });

test('faxable parts are kept in MIME order with their sniffed kind', () => {
  const parts = [
    part({ filename: 'a.pdf', contentType: 'application/pdf' }),
    part({ filename: 'b.tif', contentType: 'image/tiff' }),
    part({ filename: 'c.jpg', contentType: 'image/jpeg' }),
    part({ filename: 'd.png', contentType: 'image/png' }),
  ];
  const r = sel(parts, ['pdf', 'tiff', 'jpeg', 'png']);
  assert.equal(
    r.documents.map((d) => [d.name, d.kind]),
    [
      ['a.pdf', 'pdf'],
      ['b.tif', 'tiff'],
      ['c.jpg', 'jpeg'],
      ['d.png', 'png'],
    ],
  );
  assert.equal(r.skipped, []);
  assert.equal(r.damaged, []);
});

test('magic bytes win over a lying Content-Type or name; octet-stream without a name gets a name', () => {
  const parts = [
    part({ filename: 'scan.pdf', contentType: 'application/pdf' }),
    part({ contentType: 'application/octet-stream' }),
  ];
  const r = sel(parts, ['jpeg', 'pdf']);
  assert.equal(
    r.documents.map((d) => d.kind),
    ['jpeg', 'pdf'],
  );
  assert.is(r.documents[1]!.name, `attachment ${parts[1]!.index}.pdf`);
});

test('a part claiming PDF (type or name) whose bytes are not a document is damaged', () => {
  const r = sel(
    [
      part({ filename: 'x.pdf', contentType: 'application/pdf' }),
      part({ filename: 'y.png', contentType: 'application/octet-stream' }),
      part({ filename: 'z.pdf', contentType: 'application/pdf', size: 0 }),
    ],
    [undefined, undefined, undefined],
  );
  assert.equal(r.documents, []);
  assert.equal(
    r.damaged.map((d) => [d.name, d.reason]),
    [
      ['x.pdf', 'the file is not a valid PDF file'],
      ['y.png', 'the file is not a valid PNG file'],
      ['z.pdf', 'the file is empty'],
    ],
  );
});

test('small inline images (logos) are ignored quietly; explicit small attachments are kept', () => {
  const parts = [
    part({ filename: 'logo.png', contentType: 'image/png', disposition: 'inline', cid: 'l', related: true, size: 900 }),
    part({ filename: 'logo2.gif', contentType: 'image/gif', disposition: 'inline', size: 900 }),
    part({ filename: 'related.jpg', contentType: 'image/jpeg', disposition: '', cid: 'x', related: true, size: 8191 }),
    part({ filename: 'stamp.png', contentType: 'image/png', disposition: 'attachment', size: 900 }),
    part({ filename: 'nodisp.png', contentType: 'image/png', disposition: '', size: 900 }),
    part({
      filename: 'photo.jpg',
      contentType: 'image/jpeg',
      disposition: 'inline',
      cid: 'p',
      related: true,
      size: 8192,
    }),
  ];
  const r = sel(parts, ['png', undefined, 'jpeg', 'png', 'png', 'jpeg']);
  assert.equal(
    r.ignored.map((s) => s.name),
    ['logo.png', 'logo2.gif', 'related.jpg'],
  );
  assert.equal(
    r.documents.map((d) => d.name),
    ['stamp.png', 'nodisp.png', 'photo.jpg'],
  );
  assert.equal(r.skipped, []);
});

test('unsupported parts are skipped with a reason the sender understands', () => {
  const parts = [
    part({
      filename: 'letter.docx',
      contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    }),
    part({ filename: 'files.zip', contentType: 'application/zip' }),
    part({ filename: 'setup.exe' }),
    part({ filename: 'pic.gif', contentType: 'image/gif' }),
    part({ filename: 'winmail.dat', contentType: 'application/ms-tnef' }),
    part({ filename: 'notes.txt', contentType: 'text/plain' }),
    part({ filename: 'fwd.eml', contentType: 'message/rfc822' }),
  ];
  const r = sel(parts, ['office', undefined, undefined, undefined, 'tnef', undefined, undefined]);
  assert.equal(r.documents, []);
  assert.equal(
    r.skipped.map((s) => s.name),
    ['letter.docx', 'files.zip', 'setup.exe', 'pic.gif', 'winmail.dat', 'notes.txt', 'fwd.eml'],
  );
  const text = formatSkipped(r.skipped);
  assert.match(text, '"letter.docx" (office documents');
  assert.match(text, '"files.zip" (ZIP archives cannot be faxed');
  assert.match(text, '"setup.exe" (programs cannot be faxed)');
  assert.match(text, '"pic.gif" (GIF images cannot be faxed');
  assert.match(text, 'winmail.dat cannot be unpacked on this fax server');
});

test('office documents are documents when LibreOffice is configured and their bytes are an office file', () => {
  const r = sel(
    [
      part({ filename: 'a.docx' }),
      part({ filename: 'b.odt', contentType: 'application/vnd.oasis.opendocument.text' }),
      part({ filename: 'c.xls' }),
    ],
    ['office', undefined, 'office'],
    { officeAvailable: true },
  );
  assert.equal(
    r.documents.map((d) => [d.name, d.kind]),
    [
      ['a.docx', 'office'],
      ['c.xls', 'office'],
    ],
  );
  // An .odt whose bytes are no office container would be imported as plain text: damaged instead.
  assert.equal(
    r.damaged.map((d) => [d.name, d.reason]),
    [['b.odt', 'the file is not a valid office document']],
  );
});

test('signatures, vCards and empty unnamed parts are ignored quietly', () => {
  const r = sel(
    [
      part({ filename: 'smime.p7s', contentType: 'application/pkcs7-signature' }),
      part({ filename: 'a.vcf', contentType: 'text/vcard' }),
      part({ size: 0 }),
    ],
    [undefined, undefined, undefined],
  );
  assert.is(r.ignored.length, 3);
  assert.equal(r.skipped, []);
});

test('a winmail.dat left over while tnef is configured could not be unpacked', () => {
  const r = sel([part({ filename: 'winmail.dat', contentType: 'application/ms-tnef' })], ['tnef'], {
    tnefAvailable: true,
  });
  assert.match(r.skipped[0]!.reason, 'could not be unpacked');
});

test.run();
