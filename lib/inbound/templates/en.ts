/*
 * en.ts: built-in English templates for received faxes and empty-receive reports.
 * Syntax (render.ts): {{name}} inserts a value (HTML-escaped in .html templates); {{#name}}...{{/name}}
 * keeps its text when the value is not empty, {{^name}}...{{/name}} when it is. Values are listed in
 * README (Templates) and in render.ts VALUE_NAMES.
 */
import type { TemplateSet } from './index.js';

export const en: TemplateSet = {
  'inbound-subject': '{{#partial}}[Incomplete] {{/partial}}Fax from {{caller}} ({{pages_text}})',
  'inbound-body.txt': `You have received a fax.
{{#partial}}
WARNING: this fax did not arrive completely. The call ended with an error after {{pages_text}}
({{error}}). Pages may be missing: please ask the sender to send it again.
{{/partial}}
From:        {{caller}}
Station ID:  {{station}}
To number:   {{did}}
Received:    {{time}}
Pages:       {{pages}}
Duration:    {{duration}}
Speed:       {{rate}}
Resolution:  {{resolution}}

{{#pdf_name}}The fax is attached as {{pdf_name}}.{{/pdf_name}}{{^pdf_name}}The fax could not be converted to PDF; the fax image is attached as it arrived.{{/pdf_name}}{{#tiff_name}}
The fax image is attached as {{tiff_name}}.{{/tiff_name}}

-- 
faxmail (fax id {{id}})
`,
  'inbound-body.html': `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Fax from {{caller}}</title></head>
<body style="font-family: sans-serif">
<p>You have received a fax.</p>
{{#partial}}<p style="border: 2px solid #c00; padding: 8px; color: #900"><strong>Warning:</strong> this fax did not arrive completely.
The call ended with an error after {{pages_text}} ({{error}}). Pages may be missing: please ask the sender to send it again.</p>
{{/partial}}<table cellpadding="4" style="border-collapse: collapse">
<tr><th align="left">From</th><td>{{caller}}</td></tr>
<tr><th align="left">Station ID</th><td>{{station}}</td></tr>
<tr><th align="left">To number</th><td>{{did}}</td></tr>
<tr><th align="left">Received</th><td>{{time}}</td></tr>
<tr><th align="left">Pages</th><td>{{pages}}</td></tr>
<tr><th align="left">Duration</th><td>{{duration}}</td></tr>
<tr><th align="left">Speed</th><td>{{rate}}</td></tr>
<tr><th align="left">Resolution</th><td>{{resolution}}</td></tr>
</table>
<p>{{#pdf_name}}The fax is attached as <b>{{pdf_name}}</b>.{{/pdf_name}}{{^pdf_name}}The fax could not be converted to PDF; the fax image is attached as it arrived.{{/pdf_name}}{{#tiff_name}}
The fax image is attached as <b>{{tiff_name}}</b>.{{/tiff_name}}</p>
<p style="color: #888; font-size: small">faxmail (fax id {{id}})</p>
</body></html>
`,
  'empty-receive-subject': 'Fax call without pages from {{caller}}',
  'empty-receive-body.txt': `A fax call ended without any page, so nothing was delivered.

From:        {{caller}}
Station ID:  {{station}}
To number:   {{did}}
Ended:       {{time}}
Result:      {{status}} {{error}}
Duration:    {{duration}}

Often this is a telephone call to the fax number or a sender that gave up.
If it repeats, check the line and the sending machine.

-- 
faxmail (fax id {{id}})
`,
};
