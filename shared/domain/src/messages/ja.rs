//! Japanese (polite form; product and company names stay as they are).

use super::{
    ContactMovedMessages, EmailMessages, Messages, OfficialMessages, PageMessages, PartnerMessages,
    PartnerNewsMessages,
};

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
        expired: msg!(Partner " は、このサービスのパートナー・オブ・レコードではなくなりました。対象のサブスクリプションが終了したためです。操作は必要ありません。"),
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
    partner: PartnerMessages {
        title: "パートナー・オブ・レコード申請に関するお知らせ",
        greeting: msg!(PartnerContact " 様"),
        about: msg!("申請 " ClaimId ": " Domain " の " Workload "、" Program " プログラム。"),
        information_requested: PartnerNewsMessages {
            subject: msg!(Workload " (" Domain ") の申請について追加情報が求められています"),
            happened: msg!("ベンダーの審査担当者が、申請について追加情報を求めています。"),
            next: msg!(Deadline " までに、パートナー API から求められた情報をご回答ください。\
                期限までに回答がない場合、申請は却下されます。"),
        },
        approved: PartnerNewsMessages {
            subject: msg!(Workload " (" Domain ") の申請が承認されました"),
            happened: msg!(
                "ベンダーが申請を承認しました。お客様にメールが送信され、\
                お客様は 5 営業日以内であれば辞退できます。"
            ),
            next: msg!(
                "現時点で必要な操作はありません。関連付けが正式に成立したとき、\
                またはお客様が辞退したときにお知らせします。"
            ),
        },
        rejected: PartnerNewsMessages {
            subject: msg!(Workload " (" Domain ") の申請が却下されました"),
            happened: msg!("ベンダーが申請を却下しました。"),
            next: msg!(Deadline " までに 1 回だけ、業務上の理由または新しい実施証明を添えて\
                異議を申し立てることができます。それ以降は新しい申請のみ可能です。"),
        },
        rejected_final: msg!(
            "この却下により異議申し立ては終了し、確定しました。\
            新しい申請のみ可能です。"
        ),
        declined: PartnerNewsMessages {
            subject: msg!("お客様が " Workload " (" Domain ") の申請を辞退しました"),
            happened: msg!("お客様は、関連付けが正式に成立する前に辞退しました。貴社は "
                Workload " におけるこのお客様のパートナー・オブ・レコードではありません。"),
            next: msg!("この申請について、これ以上の操作はできません。"),
        },
        associated: PartnerNewsMessages {
            subject: msg!(Workload " (" Domain ") のパートナー・オブ・レコードになりました"),
            happened: msg!("お客様が期限内に辞退しなかったため、関連付けが正式に成立しました。\
                貴社は " Domain " の " Workload " におけるパートナー・オブ・レコードです。" "関連付けはベンダーの承認日 (" Deadline ") から有効です。"),
            next: msg!(
                "必要な操作はありません。お客様はいつでも関連付けを終了できます。\
                その場合はお知らせします。"
            ),
        },
        revoked: PartnerNewsMessages {
            subject: msg!("お客様が " Workload " (" Domain ") の関連付けを終了しました"),
            happened: msg!("お客様が正式な関連付けを終了しました。貴社は " Workload
                " におけるこのお客様のパートナー・オブ・レコードではなくなりました。"),
            next: msg!("この申請について、これ以上の操作はできません。"),
        },
        contest_received: PartnerNewsMessages {
            subject: msg!(Workload " (" Domain ") の申請に異議が申し立てられました"),
            happened: msg!("別のパートナーが、" Domain " の " Workload
                " について貴社に代わってパートナー・オブ・レコードとなるようベンダーに申請しました。\
                審査担当者が双方の実施証明を比較し、最も新しく署名されたものが優先されます。"),
            next: msg!(
                "より新しい署名済みの作業範囲記述書がある場合は、審査担当者が比較できるよう、\
                今すぐ申請に追加してください。"
            ),
        },
        superseded: PartnerNewsMessages {
            subject: msg!(Workload " (" Domain ") の関連付けが置き換えられました"),
            happened: msg!("双方の実施証明を比較した結果、ベンダーは " Domain " の " Workload
                " について別のパートナーの申請を承認しました。貴社の申請は置き換えられました。"),
            next: msg!("この申請について、これ以上の操作はできません。"),
        },
        customer_unreachable: PartnerNewsMessages {
            subject: msg!(Workload " (" Domain ") のお客様へのメールが届きませんでした"),
            happened: msg!(
                "ご指定のお客様連絡先へのメールが返送されました。このアドレスは\
                メールを受信できません。お客様の辞退期間は停止しています。"
            ),
            next: msg!(Deadline " までに、パートナー API からお客様の連絡先を修正してください。\
                修正がない場合、申請は却下されます。"),
        },
        endpoint_disabled: PartnerNewsMessages {
            subject: msg!("Webhook エンドポイントが無効になりました"),
            happened: msg!("Webhook エンドポイント " Endpoint "（ID " WebhookId "）への配信は " FailingSince " からすべて失敗しているため、無効にしました。今後イベントは送信されません。"),
            next: msg!("再び応答するようになったら、POST /v1/webhooks/" WebhookId "/enable で有効にしてください。GET /v1/webhooks/" WebhookId " で最近の配信を確認できます。"),
        },
        subscription_ended: PartnerNewsMessages {
            subject: msg!(Workload " (" Domain ") の申請のサブスクリプションが終了しました"),
            happened: msg!("ディレクトリによると、" Domain " の " Workload " のお客様のサブスクリプションは終了しました。この申請も終了し、サブスクリプションは空きになりました。"),
            next: msg!(
                "新しいサブスクリプションには新しい申請が必要です。この申請でできることはもうありません。"
            ),
        },
        reason_code: "理由コード",
        see_claim: "パートナー API での申請とその全履歴:",
        why_you: msg!("このメッセージは、あなたが申請 " ClaimId
            " のパートナー連絡先であるため送信されています。"),
    },
    official: OfficialMessages {
        subject: msg!(Partner " との " Workload " の関連付けが正式に成立しました"),
        title: "パートナー・オブ・レコードの関連付けが成立しました",
        official: msg!("期限内に辞退されなかったため、" Partner " が貴社 (" Domain ") の "
            Workload " のパートナー・オブ・レコードとして正式に認定されました。"),
        how_to_end: "この関連付けは、以下のページからいつでも終了できます。\
            サインインやパスワードを求めることはなく、開くだけでは何も変更されません。",
        end_link: "この関連付けを確認または終了する",
    },
    contact_moved: ContactMovedMessages {
        subject: msg!(Partner " が " Workload " に関する申請の連絡先を変更しました"),
        title: "パートナー・オブ・レコード申請の連絡先が変更されました",
        moved: msg!(Partner " が貴組織 (" Domain ") の " Workload
            " のパートナー・オブ・レコードとして認定されることを申請したため、ご連絡しました。その後、" Partner
            " はこの申請の連絡先として別の方を指定しました: " NewContact "。申請は今後そちらに送られます。"),
        old_link: "以前のメールのリンクは使用できなくなりました。お客様の対応は不要です。",
        if_wrong: "この連絡先に心当たりがない場合や、この変更を想定していなかった場合は、貴組織の Microsoft \
            サービスの管理者にお知らせください。新しい連絡先は期限までこの申請を拒否できます。",
        why_you: msg!("このメッセージは、" Partner " がこの申請の " Domain
            " の連絡先としてお客様を指定していたため送信されています。"),
    },
};
