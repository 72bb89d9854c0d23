/*
 * ja.ts: built-in Japanese templates for received faxes and empty-receive reports (syntax: en.ts).
 */
import type { TemplateSet } from './index.js';

export const ja: TemplateSet = {
  'inbound-subject': '{{#partial}}【不完全】{{/partial}}{{caller}} からのファクス（{{pages_text}}）',
  'inbound-body.txt': `ファクスを受信しました。
{{#partial}}
注意: このファクスは最後まで受信できませんでした。{{pages_text}}を受信した後、エラーで通話が終わりました
（{{error}}）。ページが欠けている可能性があります。送信元に再送を依頼してください。
{{/partial}}
送信元:       {{caller}}
発信局ID:     {{station}}
着信番号:     {{did}}
受信日時:     {{time}}
枚数:         {{pages}}
通信時間:     {{duration}}
通信速度:     {{rate}}
解像度:       {{resolution}}

{{#pdf_name}}ファクスは {{pdf_name}} として添付しています。{{/pdf_name}}{{^pdf_name}}ファクスをPDFに変換できなかったため、受信した画像をそのまま添付しています。{{/pdf_name}}{{#tiff_name}}
受信画像は {{tiff_name}} として添付しています。{{/tiff_name}}

-- 
faxmail（ファクスID {{id}}）
`,
  'inbound-body.html': `<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>{{caller}} からのファクス</title></head>
<body style="font-family: sans-serif">
<p>ファクスを受信しました。</p>
{{#partial}}<p style="border: 2px solid #c00; padding: 8px; color: #900"><strong>注意:</strong> このファクスは最後まで受信できませんでした。
{{pages_text}}を受信した後、エラーで通話が終わりました（{{error}}）。ページが欠けている可能性があります。送信元に再送を依頼してください。</p>
{{/partial}}<table cellpadding="4" style="border-collapse: collapse">
<tr><th align="left">送信元</th><td>{{caller}}</td></tr>
<tr><th align="left">発信局ID</th><td>{{station}}</td></tr>
<tr><th align="left">着信番号</th><td>{{did}}</td></tr>
<tr><th align="left">受信日時</th><td>{{time}}</td></tr>
<tr><th align="left">枚数</th><td>{{pages}}</td></tr>
<tr><th align="left">通信時間</th><td>{{duration}}</td></tr>
<tr><th align="left">通信速度</th><td>{{rate}}</td></tr>
<tr><th align="left">解像度</th><td>{{resolution}}</td></tr>
</table>
<p>{{#pdf_name}}ファクスは <b>{{pdf_name}}</b> として添付しています。{{/pdf_name}}{{^pdf_name}}ファクスをPDFに変換できなかったため、受信した画像をそのまま添付しています。{{/pdf_name}}{{#tiff_name}}
受信画像は <b>{{tiff_name}}</b> として添付しています。{{/tiff_name}}</p>
<p style="color: #888; font-size: small">faxmail（ファクスID {{id}}）</p>
</body></html>
`,
  'empty-receive-subject': '{{caller}} からのファクス着信（ページなし）',
  'empty-receive-body.txt': `ファクスの着信がありましたが、1ページも受信しないまま通話が終わりました。配信したものはありません。

送信元:       {{caller}}
発信局ID:     {{station}}
着信番号:     {{did}}
終了日時:     {{time}}
結果:         {{status}} {{error}}
通信時間:     {{duration}}

ファクス番号への通常の電話や、送信側が途中で諦めた場合によく起こります。
繰り返し起こる場合は、回線と送信側の機器を確認してください。

-- 
faxmail（ファクスID {{id}}）
`,
};
