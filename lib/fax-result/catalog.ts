/*
 * catalog.ts: what each fax outcome means, for the retry rules and for the person who sent the fax.
 * One entry per spandsp T.30 completion code (by its T30_ERR_* name, see t30-table.ts), per res_fax error
 * code, and per ${REASON} of an unanswered call: the retry class, a plain-language explanation and a
 * suggested action, in English and Japanese. Pure data; classify.ts looks entries up.
 * test/fax-result/classify.test.ts checks that every code spandsp knows has an entry here.
 */
import type { Locale, RetryClass } from '../config/schema.js';

export interface Explanation {
  /** what happened, in words an office worker understands */
  explain: string;
  /** what the sender can do about it */
  action: string;
}

export interface CatalogEntry {
  class: RetryClass;
  en: Explanation;
  ja: Explanation;
}

type Texts = Record<Locale, Explanation>;

// Shared wordings: many protocol codes mean the same thing to the sender.
const NO_FAX_ANSWER: Texts = {
  en: {
    explain:
      'The number answered, but no fax machine replied. It may be a telephone or an answering machine, or the ' +
      'fax machine may be switched off.',
    action: 'Check that the number is a fax number and that the receiving machine is switched on.',
  },
  ja: {
    explain:
      '相手の番号は応答しましたが、ファクス機からの応答がありませんでした。電話機や留守番電話につながったか、相手のファクス機の電源が切れている可能性があります。',
    action: '番号がファクス番号であること、相手のファクス機の電源が入っていることを確認してください。',
  },
};

const LINE_TROUBLE: Texts = {
  en: {
    explain:
      'The two fax machines could not understand each other, usually because of noise or a poor connection on ' +
      'the line.',
    action: 'Ask the recipient whether their fax machine works, or send your mail again later.',
  },
  ja: {
    explain: '回線の雑音や接続品質の問題により、双方のファクス機が正しく通信できませんでした。',
    action: '相手のファクス機が正常か確認するか、時間をおいてもう一度メールを送ってください。',
  },
};

const TRAINING: Texts = {
  en: {
    explain: 'The fax machines could not agree on a transmission speed, usually because the line is too noisy.',
    action: 'Send your mail again later, or ask the recipient to check their line.',
  },
  ja: {
    explain: '回線の雑音などにより、双方のファクス機が通信速度を合わせられませんでした。',
    action: '時間をおいてもう一度メールを送っていただくか、相手に回線の確認を依頼してください。',
  },
};

const DROPPED: Texts = {
  en: {
    explain: 'The call was cut off while the fax was being sent, so the recipient may have received only part of it.',
    action:
      'Ask the recipient whether any pages arrived and whether their machine has paper, then send your mail again.',
  },
  ja: {
    explain: '送信の途中で通話が切れたため、相手には一部のページしか届いていない可能性があります。',
    action: '相手にページが届いているか、用紙切れでないかを確認してから、もう一度メールを送ってください。',
  },
};

const FAR_END_HUNG_UP: Texts = {
  en: {
    explain: 'The receiving fax machine ended the call in the middle of the fax. It may be out of paper or memory.',
    action: 'Ask the recipient to check paper and memory on their fax machine, then send your mail again.',
  },
  ja: {
    explain: '送信の途中で相手のファクス機が通話を終了しました。用紙切れやメモリ不足の可能性があります。',
    action: '相手のファクス機の用紙とメモリを確認してもらってから、もう一度メールを送ってください。',
  },
};

const NO_RESPONSE_AFTER_PAGE: Texts = {
  en: {
    explain: 'The receiving fax machine stopped answering after a page was sent. The page may or may not have arrived.',
    action: 'Ask the recipient which pages arrived, then send your mail again if needed.',
  },
  ja: {
    explain: 'ページ送信後に相手のファクス機から応答がなくなりました。そのページが届いたかどうかは分かりません。',
    action: 'どのページが届いたか相手に確認し、必要であればもう一度メールを送ってください。',
  },
};

const INCOMPATIBLE: Texts = {
  en: {
    explain:
      'The receiving machine is not able to receive this fax (it does not support the features needed, or it ' +
      'is not set up to receive).',
    action:
      'Ask the recipient to check their fax machine, or send the document another way. Sending again will not help.',
  },
  ja: {
    explain: '相手の機器がこのファクスを受信できません(必要な機能に対応していないか、受信できる設定になっていません)。',
    action: '相手にファクス機の設定を確認してもらうか、別の方法で送ってください。そのまま再送しても届きません。',
  },
};

const REFUSED_ID: Texts = {
  en: {
    explain:
      'The receiving fax machine refused the call because it did not accept our identification or address details.',
    action:
      'Ask the recipient whether their machine only accepts faxes from certain senders. Sending again will not help.',
  },
  ja: {
    explain: '相手のファクス機が、こちらの識別情報やアドレス情報を受け付けなかったため、受信を拒否しました。',
    action:
      '相手のファクス機が特定の送信元からのみ受信する設定になっていないか確認してください。そのまま再送しても届きません。',
  },
};

const POLLING: Texts = {
  en: {
    explain:
      'The other machine did not accept a polling request (asking it to send a document). This gateway does ' +
      'not poll, so this points to a problem on the fax server.',
    action: 'Forward this notice to your fax administrator.',
  },
  ja: {
    explain:
      '相手の機器がポーリング(原稿の取り出し)要求を受け付けませんでした。本システムはポーリングを行わないため、ファクスサーバ側の問題と考えられます。',
    action: 'この通知をファクス管理者に転送してください。',
  },
};

const LOCAL_FILE: Texts = {
  en: {
    explain: 'The fax server could not read the prepared fax image, so nothing was sent.',
    action: 'Send the document again. If this happens again, forward this notice to your fax administrator.',
  },
  ja: {
    explain: 'ファクスサーバが送信用の画像を読み込めなかったため、送信されませんでした。',
    action: 'もう一度送信してください。再度発生する場合は、この通知をファクス管理者に転送してください。',
  },
};

const LOCAL_RESOURCE: Texts = {
  en: {
    explain: 'The fax server ran out of resources (memory or fax channels) while sending.',
    action: 'Send your mail again later. If it fails again, forward this notice to your fax administrator.',
  },
  ja: {
    explain: '送信中にファクスサーバのリソース(メモリやファクス回線)が不足しました。',
    action:
      '時間をおいてもう一度メールを送ってください。再度失敗する場合は、この通知をファクス管理者に転送してください。',
  },
};

const UNKNOWN: Texts = {
  en: {
    explain: 'The fax could not be sent for a reason the fax server could not identify.',
    action: 'Send your mail again later. If it fails again, forward this notice to your fax administrator.',
  },
  ja: {
    explain: 'ファクスサーバが特定できない理由により、送信できませんでした。',
    action:
      '時間をおいてもう一度メールを送ってください。再度失敗する場合は、この通知をファクス管理者に転送してください。',
  },
};

const e = (cls: RetryClass, t: Texts): CatalogEntry => ({ class: cls, en: t.en, ja: t.ja });

/** Every T.30 completion code, by spandsp's T30_ERR_* name. */
export const T30_CATALOG: Readonly<Record<string, CatalogEntry>> = {
  // Status FAILED with "OK" should not happen; treat it as unknown rather than as success.
  T30_ERR_OK: e('unknown', UNKNOWN),
  T30_ERR_CEDTONE: e('line_error', LINE_TROUBLE),
  T30_ERR_T0_EXPIRED: e('line_error', NO_FAX_ANSWER),
  T30_ERR_T1_EXPIRED: e('line_error', NO_FAX_ANSWER),
  T30_ERR_T3_EXPIRED: e('line_error', LINE_TROUBLE),
  T30_ERR_HDLC_CARRIER: e('line_error', LINE_TROUBLE),
  T30_ERR_CANNOT_TRAIN: e('line_error', TRAINING),
  T30_ERR_OPER_INT_FAIL: e('unknown', UNKNOWN),
  T30_ERR_INCOMPATIBLE: e('incompatible', INCOMPATIBLE),
  T30_ERR_RX_INCAPABLE: e('incompatible', INCOMPATIBLE),
  T30_ERR_TX_INCAPABLE: e('incompatible', INCOMPATIBLE),
  T30_ERR_NORESSUPPORT: e('incompatible', {
    en: {
      explain: 'The receiving fax machine cannot print the resolution this fax was prepared in.',
      action:
        'Send the fax again with standard resolution (add +standard to the Subject), or ask your fax administrator.',
    },
    ja: {
      explain: '相手のファクス機は、このファクスの解像度では受信できません。',
      action: '件名に +standard を付けて標準解像度で送り直すか、ファクス管理者に相談してください。',
    },
  }),
  T30_ERR_NOSIZESUPPORT: e('incompatible', {
    en: {
      explain: 'The receiving fax machine cannot receive pages of this size.',
      action:
        'Forward this notice to your fax administrator; the fax server may be preparing pages in a size the ' +
        'recipient does not accept.',
    },
    ja: {
      explain: '相手のファクス機は、この用紙サイズのページを受信できません。',
      action:
        'この通知をファクス管理者に転送してください。相手が受け付けない用紙サイズで送信している可能性があります。',
    },
  }),
  T30_ERR_UNEXPECTED: e('line_error', LINE_TROUBLE),
  T30_ERR_TX_BADDCS: e('line_error', TRAINING),
  T30_ERR_TX_BADPG: e('dropped', FAR_END_HUNG_UP),
  T30_ERR_TX_ECMPHD: e('line_error', LINE_TROUBLE),
  T30_ERR_TX_GOTDCN: e('line_error', {
    en: {
      explain:
        'The receiving fax machine hung up before the fax started. It may be busy, out of paper, or refusing faxes.',
      action: 'Ask the recipient to check their fax machine, then send your mail again.',
    },
    ja: {
      explain:
        'ファクスの送信が始まる前に、相手のファクス機が通話を終了しました。使用中、用紙切れ、または受信拒否の可能性があります。',
      action: '相手にファクス機を確認してもらってから、もう一度メールを送ってください。',
    },
  }),
  T30_ERR_TX_INVALRSP: e('line_error', LINE_TROUBLE),
  T30_ERR_TX_NODIS: e('line_error', LINE_TROUBLE),
  T30_ERR_TX_PHBDEAD: e('line_error', TRAINING),
  T30_ERR_TX_PHDDEAD: e('dropped', NO_RESPONSE_AFTER_PAGE),
  T30_ERR_TX_T5EXP: e('line_error', LINE_TROUBLE),
  // RX_* codes are reported by a receiver; on a send they still mean a protocol or line problem.
  T30_ERR_RX_ECMPHD: e('line_error', LINE_TROUBLE),
  T30_ERR_RX_GOTDCS: e('line_error', LINE_TROUBLE),
  T30_ERR_RX_INVALCMD: e('line_error', LINE_TROUBLE),
  T30_ERR_RX_NOCARRIER: e('dropped', DROPPED),
  T30_ERR_RX_NOEOL: e('line_error', LINE_TROUBLE),
  T30_ERR_RX_NOFAX: e('line_error', LINE_TROUBLE),
  T30_ERR_RX_T2EXPDCN: e('line_error', LINE_TROUBLE),
  T30_ERR_RX_T2EXPD: e('line_error', LINE_TROUBLE),
  T30_ERR_RX_T2EXPFAX: e('line_error', LINE_TROUBLE),
  T30_ERR_RX_T2EXPMPS: e('dropped', DROPPED),
  T30_ERR_RX_T2EXPRR: e('line_error', LINE_TROUBLE),
  T30_ERR_RX_T2EXP: e('line_error', LINE_TROUBLE),
  T30_ERR_RX_DCNWHY: e('dropped', DROPPED),
  T30_ERR_RX_DCNDATA: e('dropped', DROPPED),
  T30_ERR_RX_DCNFAX: e('dropped', DROPPED),
  T30_ERR_RX_DCNPHD: e('dropped', DROPPED),
  T30_ERR_RX_DCNRRD: e('dropped', DROPPED),
  T30_ERR_RX_DCNNORTN: e('dropped', DROPPED),
  // The fax image is ours: a retry would read the same broken file.
  T30_ERR_FILEERROR: e('local_error', LOCAL_FILE),
  T30_ERR_NOPAGE: e('local_error', LOCAL_FILE),
  T30_ERR_BADTIFF: e('local_error', LOCAL_FILE),
  T30_ERR_BADPAGE: e('local_error', LOCAL_FILE),
  T30_ERR_BADTAG: e('local_error', LOCAL_FILE),
  T30_ERR_BADTIFFHDR: e('local_error', LOCAL_FILE),
  T30_ERR_NOMEM: e('unknown', LOCAL_RESOURCE),
  T30_ERR_RETRYDCN: e('line_error', LINE_TROUBLE),
  T30_ERR_CALLDROPPED: e('dropped', DROPPED),
  T30_ERR_NOPOLL: e('incompatible', POLLING),
  T30_ERR_IDENT_UNACCEPTABLE: e('incompatible', REFUSED_ID),
  T30_ERR_SUB_UNACCEPTABLE: e('incompatible', REFUSED_ID),
  T30_ERR_SEP_UNACCEPTABLE: e('incompatible', REFUSED_ID),
  T30_ERR_PSA_UNACCEPTABLE: e('incompatible', REFUSED_ID),
  T30_ERR_SID_UNACCEPTABLE: e('incompatible', REFUSED_ID),
  T30_ERR_PWD_UNACCEPTABLE: e('incompatible', REFUSED_ID),
  T30_ERR_TSA_UNACCEPTABLE: e('incompatible', REFUSED_ID),
  T30_ERR_IRA_UNACCEPTABLE: e('incompatible', REFUSED_ID),
  T30_ERR_CIA_UNACCEPTABLE: e('incompatible', REFUSED_ID),
  T30_ERR_ISP_UNACCEPTABLE: e('incompatible', REFUSED_ID),
  T30_ERR_CSA_UNACCEPTABLE: e('incompatible', REFUSED_ID),
};

/** res_fax's own error codes (FAXOPT(error) when the failure is Asterisk's, not the T.30 session's). */
export const RES_FAX_CODES = [
  'INIT_ERROR',
  'INVALID_ARGUMENTS',
  'FILE_ERROR',
  'T38_NEG_ERROR',
  'HANGUP',
  'TIMEOUT',
  'MEMORY_ERROR',
  'UNKNOWN',
] as const;
export type ResFaxCode = (typeof RES_FAX_CODES)[number];

export const RES_FAX_CATALOG: Readonly<Record<ResFaxCode, CatalogEntry>> = {
  // "error reserving fax session": usually every fax channel is in use; a later try can succeed.
  INIT_ERROR: e('unknown', LOCAL_RESOURCE),
  // The dialplan passed SendFAX bad options: a configuration problem, the same on every try.
  INVALID_ARGUMENTS: e('local_error', {
    en: {
      explain: 'The fax server is not set up correctly, so the fax could not be started.',
      action: 'Forward this notice to your fax administrator.',
    },
    ja: {
      explain: 'ファクスサーバの設定に問題があるため、送信を開始できませんでした。',
      action: 'この通知をファクス管理者に転送してください。',
    },
  }),
  FILE_ERROR: e('local_error', LOCAL_FILE),
  // With the template's SendFAX/ReceiveFAX option f, a far end or carrier without T.38 gets the fax as
  // audio in the same call, so this error only means that the call ended (or the channel failed) while
  // the switch to T.38 was being set up: a person who answered and hung up within seconds, or a carrier
  // whose T.38 path drops calls. A retry helps; faxmail makes every later attempt of the job audio only
  // (retry.ts t38ForNextAttempt), which gets around the second case.
  T38_NEG_ERROR: e('line_error', {
    en: {
      explain:
        'The number answered, but the call ended while it was being switched to fax mode (T.38), before any ' +
        'page was sent. A person may have answered and hung up, or the telephone network could not carry ' +
        'the fax in that mode.',
      action:
        'Check that the number is a fax number and send your mail again. If it happens again, forward this ' +
        "notice to your fax administrator: the provider's fax mode (T.38) may not work to this number.",
    },
    ja: {
      explain:
        '相手の番号は応答しましたが、ファクス用の通信方式(T.38)への切り替え中に通話が終了し、ページは送信されませんでした。人が応答して電話を切ったか、通信事業者の網がこの方式でファクスを運べなかった可能性があります。',
      action:
        '番号がファクス番号であることを確認して、もう一度メールを送ってください。再度発生する場合は、この通知をファクス管理者に転送してください(通信事業者のT.38が正しく動作していない可能性があります)。',
    },
  }),
  HANGUP: e('dropped', DROPPED),
  TIMEOUT: e('line_error', NO_FAX_ANSWER),
  MEMORY_ERROR: e('unknown', LOCAL_RESOURCE),
  UNKNOWN: e('unknown', UNKNOWN),
};

/** ${REASON} in the call file's `failed` extension: the call was never answered. */
export const REASON_CATALOG: Readonly<Record<number, CatalogEntry>> = {
  // 0: the channel could not be set up at all (trunk down, no route): a network problem.
  0: e('congestion', {
    en: {
      explain: 'The call could not be placed. The telephone line or the provider may be unavailable.',
      action: 'Send your mail again later. If it fails again, forward this notice to your fax administrator.',
    },
    ja: {
      explain: '発信できませんでした。電話回線または通信事業者側が利用できない状態の可能性があります。',
      action:
        '時間をおいてもう一度メールを送ってください。再度失敗する場合は、この通知をファクス管理者に転送してください。',
    },
  }),
  // 1: the far side hung up before answering (rejected, or a number that does not exist): retry a little.
  1: e('unknown', {
    en: {
      explain: 'The call was rejected before it was answered. The number may not exist or may not accept calls.',
      action: 'Check the fax number. If it is right, ask the recipient whether their line accepts calls.',
    },
    ja: {
      explain: '相手が応答する前に通話が拒否されました。番号が存在しないか、着信を受け付けていない可能性があります。',
      action: 'ファクス番号を確認してください。正しい場合は、相手の回線が着信できるか確認してください。',
    },
  }),
  3: e('no_answer', {
    en: {
      explain: 'The number rang but nobody answered.',
      action: 'Check the number and ask the recipient to switch their fax machine on, then send your mail again.',
    },
    ja: {
      explain: '呼び出しましたが、応答がありませんでした。',
      action: '番号を確認し、相手にファクス機の電源を入れてもらってから、もう一度メールを送ってください。',
    },
  }),
  5: e('busy', {
    en: {
      explain: 'The number was busy.',
      action: 'The number was busy on every try. Send your mail again later.',
    },
    ja: {
      explain: '相手の番号が話し中でした。',
      action: 'すべての試行で話し中でした。時間をおいてもう一度メールを送ってください。',
    },
  }),
  8: e('congestion', {
    en: {
      explain: 'The telephone network was congested and could not connect the call.',
      action: 'Send your mail again later.',
    },
    ja: {
      explain: '電話網が混雑していたため、接続できませんでした。',
      action: '時間をおいてもう一度メールを送ってください。',
    },
  }),
};

/**
 * A call that was answered and then dropped before any page and without a remote station id: no fax
 * machine ever took part (a person answered and hung up, or the far end hung up during the handshake).
 * Same class as a drop, other words: "cut off while the fax was being sent" would be wrong here.
 */
export const ANSWERED_NO_FAX: CatalogEntry = e('dropped', {
  en: {
    explain:
      'The number answered, but the call ended before any fax machine took part: a person may have answered ' +
      'and hung up, or the receiving machine hung up while the two machines were still greeting each ' +
      'other. Nothing was sent.',
    action:
      'Check that the number is a fax number and that the receiving machine is switched on, then send your mail again.',
  },
  ja: {
    explain:
      '相手の番号は応答しましたが、ファクス機が通信を始める前に通話が終了しました。人が応答して電話を切ったか、相手の機器が接続手順の途中で切断した可能性があります。何も送信されていません。',
    action:
      '番号がファクス番号であること、相手のファクス機の電源が入っていることを確認してから、もう一度メールを送ってください。',
  },
});

/** Any other ${REASON}, an empty FAXOPT(error), or an error text nobody knows. */
export const FALLBACK_ENTRY: CatalogEntry = e('unknown', UNKNOWN);
