//! Japanese (polite form; product and company names stay as they are).

use super::{EmailMessages, Messages, PageMessages};

pub(super) static MESSAGES: Messages = Messages {
    date_format: "%Y年%-m月%-d日(%a) %H:%M (%Z)",
    title: "パートナー・オブ・レコードの申請",
    nothing_to_do: "承認するために何かをしていただく必要はありません。",
    data_scope: msg!("関連付けが成立すると、" Partner " が閲覧できるのは " Workload
        " の利用状況とライセンス数のデータのみです。貴社のその他のデータは一切提供されません。"),
    email: EmailMessages {
        subject: msg!(Partner " から " Workload " のパートナー・オブ・レコード申請が届いています"),
        greeting: msg!(Customer " 様"),
        request: msg!(Partner " が、" Program " プログラムにおいて、貴社 (" Domain ") の "
            Workload " のパートナー・オブ・レコード (partner of record) として認定されるよう申請しました。"),
        what_it_means: "お客様にとっての意味",
        how_to_decline: msg!("ご希望でない場合は、" Deadline " までに次のリンクから辞退できます。"),
        review_link: "この申請を確認または辞退する",
        after_deadline: "何もされない場合、この期限を過ぎると関連付けが正式に成立します。",
        why_you: msg!("このメッセージは、" Partner " がこの申請における " Domain
            " の連絡先としてあなたを指定したため送信されています。"),
        safe_link: "このリンクは、この申請の内容を表示し、辞退もできるページを開きます。\
            サインインやパスワードを求めることはなく、開くだけでは何も変更されません。",
    },
    page: PageMessages {
        partner: "パートナー",
        workload: "ワークロード",
        program: "プログラム",
        organisation: "貴社の組織",
        deadline: "辞退の期限",
        request: msg!(Partner " が、貴社の " Workload
            " のパートナー・オブ・レコードとして認定されるよう申請しています。"),
        decline_heading: "辞退する",
        confirm: msg!("はい、辞退します。" Partner " を " Workload
            " のパートナー・オブ・レコードとして認めません。"),
        confirm_hint: "チェックボックスをオンにしてから、ボタンを押してください。",
        decline_button: "この関連付けを辞退する",
        declined: msg!("この関連付けを辞退しました。" Partner " は " Workload
            " における貴社のパートナー・オブ・レコードではありません。これ以上の操作は必要ありません。"),
        associated: msg!("この関連付けは正式に成立しています。" Partner " が " Workload
            " における貴社のパートナー・オブ・レコードです。辞退の期限は過ぎています。"),
        window_closed: "この申請の辞退期限は過ぎたため、ここから辞退することはできません。",
        withdrawn: msg!(Partner " はこの申請を取り下げました。操作は必要ありません。"),
        superseded: msg!(Partner " は、このサービスのパートナー・オブ・レコードではなくなりました。ベンダーが別のパートナーの申請を承認しました。操作は必要ありません。"),
        since: "成立日時",
        end_heading: "この関連付けを終了する",
        end_confirm: msg!("はい、終了します。" Partner " は " Workload " における当社のパートナー・オブ・レコードではなくなります。"),
        end_button: "関連付けを終了する",
        revoked: msg!("この関連付けを終了しました。" Partner " は " Workload " における貴社のパートナー・オブ・レコードではなくなりました。これ以上の操作は必要ありません。"),
        not_yet_open: "この申請は準備中です。数分後にもう一度リンクを開いてください。",
        invalid_title: "無効なリンク",
        invalid_heading: "このリンクは無効です",
        invalid_text: "リンクが途中までしかコピーされていない可能性があります。\
            受信したメールからもう一度開いてください。",
        unavailable_title: "一時的に利用できません",
        unavailable_heading: "しばらくしてからもう一度お試しください",
        unavailable_text: "現在ページを読み込めませんでした。何も変更されていません。",
    },
};
