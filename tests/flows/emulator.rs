//! The emulator answers as DynamoDB does where `infra/local/serialized_moto.py` changed moto:
//! a query's answer, written as JSON text without moto's serializer, is the same document; an
//! index's query reads the range its key condition bounds; a connection carries many requests.

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

/// Reads one HTTP answer from `stream`: its status line, its headers (names in lower case) and
/// its body of `Content-Length` bytes.
fn answer(
    stream: &mut std::io::BufReader<std::net::TcpStream>,
) -> (String, Vec<(String, String)>, Vec<u8>) {
    use std::io::{BufRead, Read};
    let mut status = String::new();
    stream.read_line(&mut status).expect("a status line");
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).expect("a header line");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("a header");
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse().expect("a length"))
        .expect("every answer says its length");
    let mut body = vec![0; length];
    stream.read_exact(&mut body).expect("the body");
    (status.trim_end().to_owned(), headers, body)
}

#[tokio::test]
async fn one_connection_carries_many_requests_whatever_their_bodies_and_closes_when_asked() {
    use std::io::{Read, Write};
    // GIVEN a fresh emulator, and one connection to it
    let log = std::env::temp_dir().join(format!(
        "cpor-emulator-connections-{}.log",
        std::process::id()
    ));
    let (emulator, _client) = cpor_tests::table_alone(TABLE, &log).await;
    let address = emulator.endpoint().trim_start_matches("http://").to_owned();
    let stream = std::net::TcpStream::connect(&address).expect("a connection");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("a timeout");
    let mut writer = stream.try_clone().expect("the connection's writer");
    let mut reader = std::io::BufReader::new(stream);
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n\
         Content-Type: application/x-amz-json-1.0\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\n"
    );
    // WHEN it carries a request with a length, one in chunks, one whose body the emulator's
    // application has no use for (an S3 bucket's listing, with a body), and then one asking to close
    let requests = [
        format!("{}Content-Length: 2\r\n\r\n{{}}", head),
        format!(
            "{}Transfer-Encoding: chunked\r\n\r\n1\r\n{{\r\n1\r\n}}\r\n0\r\n\r\n",
            head
        ),
        format!(
            "GET /cpor-no-such-bucket HTTP/1.1\r\nHost: {address}\r\nContent-Length: 11\r\n\r\nnot-read-at"
        ),
        format!("{}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}", head),
    ];
    let mut answers = Vec::new();
    for request in &requests {
        writer
            .write_all(request.as_bytes())
            .expect("the request sent");
        answers.push(answer(&mut reader));
    }
    // THEN each is answered in turn on the same connection, whole and with its length
    for i in [0, 1, 3] {
        let (status, _, body) = &answers[i];
        assert_eq!(status, "HTTP/1.1 200 OK", "request {i}");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(body).expect("JSON")["TableNames"],
            serde_json::json!([TABLE]),
            "request {i}"
        );
    }
    assert!(
        answers[2].0.starts_with("HTTP/1.1 404"),
        "the unknown bucket: {}",
        answers[2].0
    );
    // AND the first three kept it open; the last is closed after its answer
    for (i, (_, headers, _)) in answers.iter().enumerate() {
        let closes = headers
            .iter()
            .any(|(n, v)| n == "connection" && v.eq_ignore_ascii_case("close"));
        assert_eq!(closes, i == 3, "request {i}: {headers:?}");
    }
    let mut rest = Vec::new();
    assert_eq!(reader.read_to_end(&mut rest).expect("the end"), 0);
    drop(emulator);
    std::fs::remove_file(&log).ok();
}
