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

/// A ledger-index item: `unit` in partition `partition`, sorted by `sort`.
fn indexed(unit: u32, partition: &str, sort: &str) -> HashMap<String, A> {
    HashMap::from([
        ("pk".to_owned(), A::S(format!("UNIT#{unit}"))),
        ("sk".to_owned(), A::S("PERIOD".into())),
        ("ledger_pk".to_owned(), A::S(partition.into())),
        ("ledger_sk".to_owned(), A::S(sort.into())),
    ])
}

#[tokio::test]
async fn an_index_query_answers_each_sort_key_condition_as_dynamodb_after_moves_and_deletes() {
    // GIVEN an index whose items were written, moved between partitions and sort values, and
    // deleted (the emulator keeps each partition in sort order and reads only the range a
    // condition bounds)
    let log = std::env::temp_dir().join(format!("cpor-emulator-ranges-{}.log", std::process::id()));
    let (emulator, client) = cpor_tests::table_alone(TABLE, &log).await;
    let sorts = [
        "a1", "ab", "ab3", "ab30", "abc", "b", "ba", "c5", "c6", "é", "~",
    ];
    let mut model: std::collections::BTreeMap<u32, (&str, &str)> = Default::default();
    for step in 0..240u32 {
        let unit = (step * 7) % 90;
        if step % 9 == 4 {
            client
                .delete_item()
                .table_name(TABLE)
                .key("pk", A::S(format!("UNIT#{unit}")))
                .key("sk", A::S("PERIOD".into()))
                .send()
                .await
                .expect("an item deleted");
            model.remove(&unit);
            continue;
        }
        let partition = if step % 3 == 0 { "B" } else { "A" };
        let sort = sorts[(step as usize * 5) % sorts.len()];
        client
            .put_item()
            .table_name(TABLE)
            .set_item(Some(indexed(unit, partition, sort)))
            .send()
            .await
            .expect("an item written");
        model.insert(unit, (partition, sort));
    }
    type Keeps = fn(&str) -> bool;
    let conditions: [(&str, Keeps); 7] = [
        ("ledger_sk = :a", |v| v == "ab3"),
        ("ledger_sk < :a", |v| v < "ab3"),
        ("ledger_sk <= :a", |v| v <= "ab3"),
        ("ledger_sk > :a", |v| v > "ab3"),
        ("ledger_sk >= :a", |v| v >= "ab3"),
        ("ledger_sk BETWEEN :a AND :b", |v| {
            ("ab3"..="c5").contains(&v)
        }),
        ("begins_with(ledger_sk, :p)", |v| v.starts_with("ab")),
    ];
    for (condition, keeps) in conditions {
        for forward in [true, false] {
            for partition in ["A", "B"] {
                // WHEN the partition is queried with the condition, 4 items a page
                let mut got = Vec::new();
                let mut start = None;
                loop {
                    let mut query = client
                        .query()
                        .table_name(TABLE)
                        .index_name(cpor_aws::schema::LEDGER_INDEX.name)
                        .key_condition_expression(format!("ledger_pk = :g AND {condition}"))
                        .expression_attribute_values(":g", A::S(partition.into()))
                        .scan_index_forward(forward)
                        .limit(4)
                        .set_exclusive_start_key(start);
                    for (name, value) in [(":a", "ab3"), (":b", "c5"), (":p", "ab")] {
                        if condition.contains(name) {
                            query = query.expression_attribute_values(name, A::S(value.into()));
                        }
                    }
                    let page = query.send().await.expect("a page of the index");
                    got.extend(page.items().iter().map(|i| {
                        let text = |k: &str| i[k].as_s().cloned().unwrap_or_default();
                        (text("ledger_sk"), text("pk"))
                    }));
                    start = page.last_evaluated_key().cloned();
                    if start.is_none() {
                        break;
                    }
                }
                // THEN it answers exactly the model's items, in the sort key's order (then the
                // table's key), every page joined
                let mut want: Vec<(String, String)> = model
                    .iter()
                    .filter(|(_, (p, s))| *p == partition && keeps(s))
                    .map(|(unit, (_, s))| ((*s).to_owned(), format!("UNIT#{unit}")))
                    .collect();
                want.sort();
                if !forward {
                    want.reverse();
                }
                assert_eq!(
                    got, want,
                    "{condition}, forward {forward}, partition {partition}"
                );
            }
        }
    }
    drop(emulator);
    std::fs::remove_file(&log).ok();
}
