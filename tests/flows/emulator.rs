//! The emulator answers as DynamoDB does where `infra/local/serialized_moto.py` changed moto:
//! a query's answer, written as JSON text without moto's serializer, is the same document; an
//! index's query reads the range its key condition bounds; a connection carries many requests;
//! an item's size is checked once, and a write's stream record built without moto's extra work,
//! with the same outcomes; a batch write is read without botocore's parser, and refuses two
//! writes of one key as DynamoDB does.

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

/// The item of `pk` and `sk`, read consistently.
async fn read(client: &aws_sdk_dynamodb::Client, pk: &str, sk: &str) -> Option<HashMap<String, A>> {
    client
        .get_item()
        .table_name(TABLE)
        .key("pk", A::S(pk.into()))
        .key("sk", A::S(sk.into()))
        .consistent_read(true)
        .send()
        .await
        .expect("a read")
        .item
}

/// An item of `pk` whose one other attribute is `bytes` long: its size in DynamoDB's count is
/// that plus its attributes' names and its keys.
fn sized(pk: &str, bytes: usize) -> HashMap<String, A> {
    HashMap::from([
        ("pk".to_owned(), A::S(pk.into())),
        ("sk".to_owned(), A::S("SIZED".into())),
        ("body".to_owned(), A::S("x".repeat(bytes))),
    ])
}

#[tokio::test]
async fn an_item_over_the_size_limit_is_refused_by_a_put_a_batch_and_an_update_and_one_within_it_kept()
 {
    // GIVEN the service's table on a fresh emulator
    let log = std::env::temp_dir().join(format!("cpor-emulator-sizes-{}.log", std::process::id()));
    let (_emulator, client) = cpor_tests::table_alone(TABLE, &log).await;
    let refused = |e: &dyn std::fmt::Debug| {
        let text = format!("{e:?}");
        assert!(
            text.contains("ValidationException")
                && text.contains("has exceeded the maximum allowed size"),
            "refused as DynamoDB refuses an item over 400 KB: {text}"
        );
    };
    // WHEN an item within the limit is put, and one over it, alone and in a batch
    client
        .put_item()
        .table_name(TABLE)
        .set_item(Some(sized("WITHIN", 390_000)))
        .send()
        .await
        .expect("an item within the limit is written");
    let over = client
        .put_item()
        .table_name(TABLE)
        .set_item(Some(sized("OVER", 410_000)))
        .send()
        .await
        .expect_err("an item over the limit is refused");
    refused(&over);
    let put = aws_sdk_dynamodb::types::PutRequest::builder()
        .set_item(Some(sized("OVER-IN-A-BATCH", 410_000)))
        .build()
        .unwrap();
    let batch = client
        .batch_write_item()
        .request_items(
            TABLE,
            vec![
                aws_sdk_dynamodb::types::WriteRequest::builder()
                    .put_request(put)
                    .build(),
            ],
        )
        .send()
        .await
        .expect_err("a batch with an item over the limit is refused");
    refused(&batch);
    // AND the item within it is grown past the limit by an update
    let grown = client
        .update_item()
        .table_name(TABLE)
        .key("pk", A::S("WITHIN".into()))
        .key("sk", A::S("SIZED".into()))
        .update_expression("SET more = :more")
        .expression_attribute_values(":more", A::S("y".repeat(20_000)))
        .send()
        .await
        .expect_err("an update past the limit is refused");
    refused(&grown);
    // THEN the item within the limit is kept as it was written, and neither refused item exists
    for (pk, length) in [
        ("WITHIN", Some(390_000)),
        ("OVER", None),
        ("OVER-IN-A-BATCH", None),
    ] {
        let item = read(&client, pk, "SIZED").await;
        let body = item
            .as_ref()
            .and_then(|i| i.get("body"))
            .and_then(|b| b.as_s().ok());
        assert_eq!(body.map(String::len), length, "{pk}");
        assert!(item.is_none_or(|i| !i.contains_key("more")), "{pk}");
    }
}

#[tokio::test]
async fn a_write_s_stream_record_names_its_keys_and_carries_the_new_image_only() {
    // GIVEN the service's table (its stream's view type: new images) on a fresh emulator
    let log = std::env::temp_dir().join(format!("cpor-emulator-stream-{}.log", std::process::id()));
    let (emulator, client) = cpor_tests::table_alone(TABLE, &log).await;
    // WHEN an item is written, written again larger, and deleted
    for bytes in [10, 1_000] {
        client
            .put_item()
            .table_name(TABLE)
            .set_item(Some(sized("STREAMED", bytes)))
            .send()
            .await
            .expect("a write");
    }
    client
        .delete_item()
        .table_name(TABLE)
        .key("pk", A::S("STREAMED".into()))
        .key("sk", A::S("SIZED".into()))
        .send()
        .await
        .expect("a delete");
    // THEN the stream holds an insert, a change and a removal, in that order, each naming the
    // item's keys, the first two with the item as written and no old image, sized by what they
    // carry
    let streams = aws_sdk_dynamodbstreams::Client::new(&cpor_tests::emulator_sdk(&emulator).await);
    let arn = client
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .expect("the table")
        .table
        .and_then(|t| t.latest_stream_arn)
        .expect("the table's stream");
    let shard = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .expect("the stream")
        .stream_description
        .and_then(|d| d.shards)
        .and_then(|s| s.into_iter().next())
        .and_then(|s| s.shard_id)
        .expect("a shard");
    let iterator = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(shard)
        .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect("an iterator")
        .shard_iterator;
    let records = streams
        .get_records()
        .set_shard_iterator(iterator)
        .send()
        .await
        .expect("the records")
        .records
        .unwrap_or_default();
    let names: Vec<String> = records
        .iter()
        .filter_map(|r| r.event_name.as_ref().map(|n| n.as_str().to_owned()))
        .collect();
    assert_eq!(names, ["INSERT", "MODIFY", "REMOVE"]);
    let mut sizes = Vec::new();
    for (record, bytes) in records.iter().zip([Some(10), Some(1_000), None]) {
        let change = record.dynamodb.as_ref().expect("the change");
        let keys = change.keys.as_ref().expect("the keys");
        let key = |name: &str| keys.get(name).and_then(|v| v.as_s().ok()).cloned();
        assert_eq!(key("pk").as_deref(), Some("STREAMED"));
        assert_eq!(key("sk").as_deref(), Some("SIZED"));
        assert_eq!(keys.len(), 2, "the keys only");
        let body = change
            .new_image
            .as_ref()
            .and_then(|image| image.get("body"))
            .and_then(|b| b.as_s().ok())
            .map(String::len);
        assert_eq!(body, bytes);
        assert!(
            change.old_image.is_none(),
            "no old image in a new-image stream"
        );
        assert_eq!(
            change.stream_view_type.as_ref().map(|v| v.as_str()),
            Some("NEW_IMAGE")
        );
        sizes.push(change.size_bytes.unwrap_or_default());
    }
    assert!(
        sizes[2] > 0 && sizes[0] > sizes[2] && sizes[1] > sizes[0] + 900,
        "each record's size counts its keys and its image: {sizes:?}"
    );
}

fn put(item: HashMap<String, A>) -> aws_sdk_dynamodb::types::WriteRequest {
    aws_sdk_dynamodb::types::WriteRequest::builder()
        .put_request(
            aws_sdk_dynamodb::types::PutRequest::builder()
                .set_item(Some(item))
                .build()
                .unwrap(),
        )
        .build()
}

#[tokio::test]
async fn a_batch_write_keeps_every_kind_of_value_and_refuses_two_writes_of_one_key() {
    // GIVEN the service's table on a fresh emulator
    let log =
        std::env::temp_dir().join(format!("cpor-emulator-batches-{}.log", std::process::id()));
    let (_emulator, client) = cpor_tests::table_alone(TABLE, &log).await;
    // WHEN a batch writes an item with every kind of value, binary ones inside a map and a
    // list too
    let mut written = item(3);
    written.insert(
        "binaries".to_owned(),
        A::Bs(vec![Blob::new(vec![1, 2]), Blob::new(vec![255])]),
    );
    written.insert(
        "nested".to_owned(),
        A::M(HashMap::from([(
            "in a list".to_owned(),
            A::L(vec![A::B(Blob::new(vec![0, 128])), A::S("text".into())]),
        )])),
    );
    client
        .batch_write_item()
        .request_items(TABLE, vec![put(written.clone())])
        .send()
        .await
        .expect("a batch written");
    // THEN the item reads back as it was written
    let read_back = read(&client, "CLAIM#3", "CLAIM").await.expect("the item");
    assert_eq!(read_back, written);
    // AND a condition on its binary value holds, as it does on the item written alone
    client
        .update_item()
        .table_name(TABLE)
        .key("pk", A::S("CLAIM#3".into()))
        .key("sk", A::S("CLAIM".into()))
        .update_expression("SET checked = :yes")
        .condition_expression("#bytes = :bytes AND contains(binaries, :one)")
        .expression_attribute_names("#bytes", "bytes")
        .expression_attribute_values(":bytes", A::B(Blob::new(vec![0, 159, 255])))
        .expression_attribute_values(":one", A::B(Blob::new(vec![255])))
        .expression_attribute_values(":yes", A::Bool(true))
        .send()
        .await
        .expect("the binary values compare equal to the bytes written");
    // WHEN a batch writes one key twice with different attributes, or puts and deletes one key
    let mut twice = item(4);
    twice.insert("text".to_owned(), A::S("another".into()));
    let delete = aws_sdk_dynamodb::types::WriteRequest::builder()
        .delete_request(
            aws_sdk_dynamodb::types::DeleteRequest::builder()
                .key("pk", A::S("CLAIM#4".into()))
                .key("sk", A::S("CLAIM".into()))
                .build()
                .unwrap(),
        )
        .build();
    for batch in [vec![put(item(4)), put(twice)], vec![put(item(4)), delete]] {
        let refused = client
            .batch_write_item()
            .request_items(TABLE, batch)
            .send()
            .await
            .expect_err("two writes of one key are refused");
        let text = format!("{refused:?}");
        assert!(
            text.contains("ValidationException")
                && text.contains("Provided list of item keys contains duplicates"),
            "{text}"
        );
    }
    // THEN neither batch wrote anything
    let item4 = read(&client, "CLAIM#4", "CLAIM").await;
    assert!(item4.is_none());
}
