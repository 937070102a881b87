//! The emulator answers as DynamoDB does where `infra/local/serialized_moto.py` changed moto:
//! a query's answer, written as JSON text without moto's serializer, is the same document.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue as A;
use std::collections::HashMap;

const TABLE: &str = "emulator-answers";

/// An item holding every kind of attribute value, in a partition of the due index.
fn item(n: u32) -> HashMap<String, A> {
    HashMap::from([
        ("pk".to_owned(), A::S(format!("CLAIM#{n}"))),
        ("sk".to_owned(), A::S("CLAIM".into())),
        ("due_shard".to_owned(), A::S("DUE#0".into())),
        (
            "due_at".to_owned(),
            A::S(format!("2026-12-0{n}T00:00:00.000Z#{n}")),
        ),
        (
            "text".to_owned(),
            A::S("Giulia \"Rossi\" <giulia@contoso.com> — è".into()),
        ),
        ("number".to_owned(), A::N("-12.50".into())),
        ("bytes".to_owned(), A::B(Blob::new(vec![0, 159, 255]))),
        ("yes".to_owned(), A::Bool(true)),
        ("nothing".to_owned(), A::Null(true)),
        (
            "map".to_owned(),
            A::M(HashMap::from([(
                "list".to_owned(),
                A::L(vec![
                    A::S("a".into()),
                    A::N("1".into()),
                    A::M(HashMap::new()),
                ]),
            )])),
        ),
        ("strings".to_owned(), A::Ss(vec!["x".into(), "y".into()])),
        ("numbers".to_owned(), A::Ns(vec!["1".into(), "2.5".into()])),
    ])
}

#[tokio::test]
async fn a_query_answers_every_kind_of_value_as_written_page_by_page_on_the_table_and_an_index() {
    // GIVEN the service's table on a fresh emulator, holding two items with every kind of value
    let log =
        std::env::temp_dir().join(format!("cpor-emulator-answers-{}.log", std::process::id()));
    let (emulator, client) = cpor_tests::table_alone(TABLE, &log).await;
    for n in [1, 2] {
        client
            .put_item()
            .table_name(TABLE)
            .set_item(Some(item(n)))
            .send()
            .await
            .expect("an item written");
    }
    // WHEN the due index is queried a page of one item at a time
    let mut pages = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .query()
            .table_name(TABLE)
            .index_name(cpor_aws::schema::DUE_INDEX.name)
            .key_condition_expression("due_shard = :shard AND due_at < :before")
            .expression_attribute_values(":shard", A::S("DUE#0".into()))
            .expression_attribute_values(":before", A::S("2026-12-31".into()))
            .limit(1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("a page of the index");
        assert!(page.count() <= 1 && page.items().len() == page.count() as usize);
        pages.extend(page.items().iter().cloned());
        start = page.last_evaluated_key().cloned();
        if start.is_none() || pages.len() > 2 {
            break;
        }
    }
    // THEN it gives both items, in the index's order, each exactly as written
    assert_eq!(pages, vec![item(1), item(2)]);
    // AND so does a query of an item's own partition on the table
    let own = client
        .query()
        .table_name(TABLE)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", A::S("CLAIM#2".into()))
        .send()
        .await
        .expect("the partition");
    assert_eq!((own.count(), own.items()), (1, &[item(2)][..]));
    drop(emulator);
    std::fs::remove_file(&log).ok();
}
