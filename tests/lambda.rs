//! The compiled `bootstrap` binary, end to end, as Lambda runs it: a local Runtime API (see
//! `sift_tests::runtime`) delivers real-shaped events; S3, SSM, SES and SNS are moto (SIFT_MOTO_ENDPOINT,
//! started by `scripts/test`); the warehouse is a real PostgreSQL (DATABASE_URL), reached
//! through credentials the binary reads from SSM, as in production.
//!
//! `SIFT_BOOTSTRAP=target/release/bootstrap` runs the same test against another build (the
//! cold-start measurement in docs/benchmarks.md uses it), and `SIFT_BOOTSTRAP_RUNNER=qemu-aarch64 ...`
//! runs the shipped arm64 artifact under emulation (`scripts/package --check`).

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use serde_json::{Value, json};
use sift_tests::runtime::Lambda;
use sift_tests::world::{
    World, alerts, assert_absent, customer_values, s3_record, ses_reports, ses_texts, sqs_message,
};
use sift_tests::{bootstrap, example};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_serves_s3_sqs_and_direct_events_end_to_end() {
    let world = World::new().await;
    let logs = tempfile::NamedTempFile::new().unwrap();
    let mut lambda = Lambda::start(&bootstrap(), &world.env(), logs.path()).await;
    println!(
        "bootstrap init (process start to first poll, incl. SSM, connect, migrate): {:?}",
        lambda.init_duration().await
    );

    // 1. An S3 notification for a key with a space and a plus sign.
    let key = "incoming/customer list+2026.csv";
    let body = example();
    world.put(key, body.clone()).await;
    let event =
        json!({"Records": [s3_record(&world.landing, "incoming/customer+list%2B2026.csv", body.len())]});
    let started = std::time::Instant::now();
    let response = lambda.invoke(event.clone()).await.response();
    println!("first invocation (5000 rows): {:?}", started.elapsed());
    let files = response["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{response}");
    let summary = &files[0];
    let source = format!("s3://{}/{key}", world.landing);
    assert_eq!(summary["status"], "ok", "{summary}");
    assert_eq!(summary["source"], source.as_str());

    // The counts are what the validator library gives for the same bytes and as-of date.
    let as_of: chrono::NaiveDate = summary["as_of"].as_str().unwrap().parse().unwrap();
    let oracle = sift_tests::oracle(&body, as_of);
    assert_eq!(summary["total"], 5000);
    assert_eq!(
        (summary["valid"].as_u64(), summary["invalid"].as_u64()),
        (Some(oracle.tally.valid), Some(oracle.tally.invalid))
    );
    assert!(oracle.tally.invalid > 0 && oracle.tally.valid > 0);
    let inserted = summary["inserted"].as_u64().unwrap();
    assert_eq!(inserted + summary["already_present"].as_u64().unwrap(), oracle.tally.valid);
    assert_eq!(world.rows().await, inserted as i64, "rows in dim_customer");
    let sources: Vec<String> = sqlx::query_scalar("SELECT DISTINCT source_uri FROM dim_customer")
        .fetch_all(&mut world.db().await)
        .await
        .unwrap();
    assert_eq!(sources, std::slice::from_ref(&source));
    assert_eq!(summary["notification"], "sent");

    // The invalid records, byte for byte what the validator gives, at the SPEC's location.
    let invalid_key = sift_tests::invalid_key(
        summary["invalid_records_uri"].as_str().unwrap(),
        &format!("s3://{}/", world.invalid),
        &format!("Curoupt_Records/Customer/{as_of}/customer list+2026"),
    );
    assert_eq!(world.get(&world.invalid, invalid_key).await, oracle.invalid_csv);

    // The SES report: subject with the function name and [ALERT] (threshold 1%), both parts.
    let reports = ses_reports(&world.sender);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].subject(), Some("[ALERT] Lambda sift-e2e - Data Validation Report"));
    let text = reports[0].body_text(0).unwrap();
    assert!(text.contains(&source) && text.contains(&oracle.tally.invalid.to_string()), "{text}");
    assert!(reports[0].body_html(0).unwrap().contains("s3.console.aws.amazon.com/s3/object/"));
    assert_eq!(alerts(&world.topic_arn), 1, "one SNS alert");

    // 2. An SQS batch: a good file, a rejected file, sift's own output and an unreadable message.
    let second = "incoming/second batch.csv";
    let mut generated = Vec::new();
    let generated_rows =
        sift_datagen::generate(&sift_datagen::Config { seed: 7, ..Default::default() }, 300, &mut generated)
            .unwrap();
    world.put(second, generated.clone()).await;
    world.put("incoming/broken.csv", b"id,name\n1,Ann\n".to_vec()).await;
    // The same rows again, gzip-compressed by suffix and zstd-compressed by Content-Encoding.
    let gz = sift_tests::gzip(&generated);
    world.put("incoming/third.csv.gz", gz.clone()).await;
    let zst = sift_tests::zstd(&generated);
    world
        .s3
        .put_object()
        .bucket(&world.landing)
        .key("incoming/fourth.csv")
        .content_encoding("zstd")
        .body(zst.clone().into())
        .send()
        .await
        .unwrap();
    let own_output = format!("{}/{as_of}/x_invalid_records.csv", "Curoupt_Records/Customer");
    let batch = json!({"Records": [
        sqs_message("m-good", &json!({"Records": [s3_record(&world.landing, "incoming/second+batch.csv", generated.len())]})),
        sqs_message("m-rejected", &json!({"Records": [s3_record(&world.landing, "incoming/broken.csv", 14)]})),
        sqs_message("m-gzip", &json!({"Records": [s3_record(&world.landing, "incoming/third.csv.gz", gz.len())]})),
        sqs_message("m-zstd", &json!({"Records": [s3_record(&world.landing, "incoming/fourth.csv", zst.len())]})),
        sqs_message("m-own-output", &json!({"Records": [s3_record(&world.invalid, &own_output, 10)]})),
        sqs_message("m-garbage", &json!({"hello": "world"})),
    ]});
    let before = world.rows().await;
    let response = lambda.invoke(batch).await.response();
    let failed: Vec<&str> = response["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["m-rejected", "m-garbage"], "{response}");
    let files = response["files"].as_array().unwrap();
    assert_eq!(files.len(), 4, "{response}");
    assert_eq!(
        (files[0]["status"].as_str(), files[0]["total"].as_u64()),
        (Some("ok"), Some(generated_rows.rows))
    );
    assert_eq!(files[1]["status"], "rejected");
    assert!(files[1]["error"].as_str().unwrap().contains("customer_id"), "{}", files[1]);
    assert_eq!(response["skipped"][0]["source"], format!("s3://{}/{own_output}", world.invalid).as_str());
    let added = files[0]["inserted"].as_u64().unwrap();
    assert_eq!(world.rows().await, before + added as i64);
    // The compressed copies: the same counts, every valid row already present.
    for (file, stem) in [(&files[2], "third"), (&files[3], "fourth")] {
        assert_eq!(file["status"], "ok", "{file}");
        assert_eq!(
            (file["total"].as_u64(), file["valid"].as_u64()),
            (files[0]["total"].as_u64(), files[0]["valid"].as_u64())
        );
        assert_eq!(
            (file["inserted"].as_u64(), file["already_present"].clone()),
            (Some(0), files[0]["valid"].clone()),
            "{file}"
        );
        sift_tests::invalid_key(
            file["invalid_records_uri"].as_str().unwrap(),
            &format!("s3://{}/", world.invalid),
            &format!("Curoupt_Records/Customer/{as_of}/{stem}"),
        );
    }

    // 3. A redelivery of the first event: nothing is loaded twice.
    let before = world.rows().await;
    let response = lambda.invoke(event).await.response();
    let summary = &response["files"][0];
    assert_eq!(
        (summary["inserted"].as_u64(), summary["already_loaded"].as_bool()),
        (Some(0), Some(true)),
        "{summary}"
    );
    assert_eq!(summary["already_present"].as_u64(), Some(oracle.tally.valid));
    assert_eq!(world.rows().await, before);
    // ... and the same object announced through EventBridge (the template's trigger), whose
    // key arrives as stored, not URL-encoded.
    let eventbridge = json!({
        "version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": "Object Created",
        "source": "aws.s3", "account": "123456789012", "time": "2026-11-30T00:00:00Z", "region": "us-east-1",
        "resources": [format!("arn:aws:s3:::{}", world.landing)],
        "detail": {"version": "0", "bucket": {"name": world.landing},
                   "object": {"key": key, "size": body.len(), "etag": "b1946ac92492d2347c6235b4d2611184"},
                   "reason": "PutObject"}
    });
    let response = lambda.invoke(eventbridge).await.response();
    let summary = &response["files"][0];
    assert_eq!(
        (summary["source"].as_str(), summary["already_loaded"].as_bool()),
        (Some(source.as_str()), Some(true)),
        "{response}"
    );
    assert_eq!(world.rows().await, before);

    // 4. A direct re-run of a missing object fails the invocation, naming the object.
    let error = lambda.invoke(json!({"bucket": world.landing, "key": "incoming/missing.csv"})).await.error();
    assert_eq!(error["errorType"], "Sift.Failed", "{error}");
    assert!(error["errorMessage"].as_str().unwrap().contains("incoming/missing.csv"), "{error}");
    // ... and a rejected file fails it too, as not retryable.
    let error = lambda.invoke(json!({"bucket": world.landing, "key": "incoming/broken.csv"})).await.error();
    assert_eq!(error["errorType"], "Sift.FileRejected", "{error}");
    // ... and an event of an unknown shape says what was expected.
    let error = lambda.invoke(json!({"detail-type": "Object Created"})).await.error();
    assert_eq!(error["errorType"], "Sift.UnrecognisedEvent", "{error}");

    // Logs: JSON lines carrying the request id, and no credential or customer value.
    drop(lambda);
    let logs = std::fs::read_to_string(logs.path()).unwrap();
    let mut lines = 0;
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        let entry: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(entry.get("level").is_some() || entry.get("_aws").is_some(), "{line}");
        lines += 1;
    }
    // One metrics line (CloudWatch EMF) per file read to an outcome, each valid EMF.
    let metrics = sift_tests::emf::documents(&logs);
    for document in &metrics {
        sift_tests::emf::assert_valid(document);
        assert_eq!(document["Dataset"], "customer");
    }
    let first = &metrics[0];
    assert_eq!(
        (first["Rows"].as_u64(), first["Invalid"].as_u64()),
        (Some(5000), Some(oracle.tally.invalid)),
        "{first}"
    );
    assert!(metrics.iter().any(|m| m["Rejected"] == 1), "the rejected file has its line");
    assert!(metrics.len() >= 6, "{} metrics lines", metrics.len());
    assert!(lines > 5 && logs.contains("e2e-0001"), "request ids in the logs:\n{logs}");
    // The database password and the names and emails of every row appear in no log line and
    // in no email.
    let mut planted = customer_values(&body);
    planted.extend(customer_values(&generated));
    planted.push(world.password.clone());
    assert_absent(&logs, &planted, "the logs");
    assert_absent(&ses_texts(&world.sender), &planted, "the report emails");
    world.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_fargate_route_large_objects_are_skipped_and_ones_beyond_eventbridge_fail_loudly() {
    let world = World::new().await;
    let logs = tempfile::NamedTempFile::new().unwrap();
    let mut env = world.env();
    env.push(("SIFT_LARGE_OBJECT_BYTES", "100000".into()));
    let mut lambda = Lambda::start(&bootstrap(), &env, logs.path()).await;
    let key = "incoming/sized.csv";
    world.put(key, example()).await;
    // The size as EventBridge announces it decides, whatever the object holds.
    let event = |size: u64| {
        json!({
            "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": "Object Created",
            "source": "aws.s3", "account": "123456789012", "time": "2026-11-30T00:00:00Z", "region": "us-east-1",
            "resources": [format!("arn:aws:s3:::{}", world.landing)],
            "detail": {"version": "0", "bucket": {"name": world.landing}, "object": {"key": key, "size": size}}
        })
    };
    // At or above the threshold: LargeObjectRule started the task; the function skips it.
    let response = lambda.invoke(event(100_000)).await.response();
    assert_eq!(response["files"], json!([]), "{response}");
    assert!(response["skipped"][0]["reason"].as_str().unwrap().contains("Fargate"), "{response}");
    assert_eq!(world.rows().await, 0);
    // Beyond EventBridge's numeric range no rule may have matched: a loud, final failure.
    let error = lambda.invoke(event(5_000_000_000)).await.error();
    assert_eq!(error["errorType"], "Sift.Failed", "{error}");
    assert!(
        error["errorMessage"].as_str().unwrap().contains("EventBridge matches sizes only up to"),
        "{error}"
    );
    assert_eq!(world.rows().await, 0);
    // Below it: the function's.
    let response = lambda.invoke(event(99_999)).await.response();
    assert_eq!(response["files"][0]["status"], "ok", "{response}");
    assert!(world.rows().await > 0);
    world.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_configuration_fails_at_cold_start_with_the_variable_named() {
    let logs = tempfile::NamedTempFile::new().unwrap();
    let env = [("SIFT_ALERT_INVALID_PCT", "ten".to_owned()), ("AWS_REGION", "us-east-1".to_owned())];
    let lambda = Lambda::start(&bootstrap(), &env, logs.path()).await;
    let mut child_exited = false;
    for _ in 0..100 {
        if std::fs::read_to_string(logs.path()).unwrap().contains("SIFT_ALERT_INVALID_PCT") {
            child_exited = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(lambda);
    let logs = std::fs::read_to_string(logs.path()).unwrap();
    assert!(child_exited, "{logs}");
    assert!(logs.contains("SIFT_ALERT_INVALID_PCT=\\\"ten\\\": expected a percentage"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_routes_in_one_deployment_load_two_tables_and_an_unrouted_key_is_skipped() {
    let world = World::new().await;
    // The orders contract is read from S3 once per container; customers use the built-in one.
    let orders_contract = std::fs::read(sift_tests::repo().join("contracts/orders.toml")).unwrap();
    world.put("contracts/orders.toml", orders_contract).await;
    let routes = json!([
        {"prefix": "incoming/customers/", "contract": "builtin:customer", "invalid_prefix": "Curoupt_Records/Customer"},
        {"prefix": "incoming/orders/", "contract": format!("s3://{}/contracts/orders.toml", world.landing),
         "invalid_prefix": "Curoupt_Records/Orders/"},
    ]);
    let mut env = world.env();
    env.push(("SIFT_ROUTES", routes.to_string()));
    let logs = tempfile::NamedTempFile::new().unwrap();
    let mut lambda = Lambda::start(&bootstrap(), &env, logs.path()).await;

    let customers = example();
    let orders = std::fs::read(sift_tests::repo().join("examples/orders.csv")).unwrap();
    world.put("incoming/customers/c.csv", customers.clone()).await;
    world.put("incoming/orders/o.csv", orders.clone()).await;
    world.put("incoming/elsewhere/x.csv", customers.clone()).await;
    let event = json!({"Records": [
        s3_record(&world.landing, "incoming/customers/c.csv", customers.len()),
        s3_record(&world.landing, "incoming/orders/o.csv", orders.len()),
        s3_record(&world.landing, "incoming/elsewhere/x.csv", customers.len()),
    ]});
    let response = lambda.invoke(event.clone()).await.response();
    let files = response["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{response}");
    let (c, o) = (&files[0], &files[1]);
    assert_eq!((c["dataset"].as_str(), c["table"].as_str()), (Some("customer"), Some("dim_customer")), "{c}");
    assert_eq!((o["dataset"].as_str(), o["table"].as_str()), (Some("orders"), Some("fact_order")), "{o}");
    let mut planted = Vec::new();
    let expected = sift_datagen::generate_orders(42, 5.0, 2000, &mut planted).unwrap();
    assert_eq!(planted, orders, "examples/orders.csv is the generator's output");
    assert_eq!(o["invalid"], expected.invalid);
    assert_eq!(o["already_present"], expected.repeats);
    assert_eq!(o["inserted"], expected.rows - expected.invalid - expected.repeats);

    // Each file's invalid records under its route's prefix.
    let as_of = c["as_of"].as_str().unwrap();
    for (summary, prefix, stem) in [(c, "Curoupt_Records/Customer", "c"), (o, "Curoupt_Records/Orders", "o")]
    {
        let key = sift_tests::invalid_key(
            summary["invalid_records_uri"].as_str().unwrap(),
            &format!("s3://{}/", world.invalid),
            &format!("{prefix}/{as_of}/{stem}"),
        );
        let written = String::from_utf8(world.get(&world.invalid, key).await).unwrap();
        assert!(written.lines().next().unwrap().ends_with(",row_number,failed_rules"), "{key}");
        if stem == "o" {
            // No order field spans lines: one line per invalid row, after the header.
            assert_eq!(written.lines().count() as u64, summary["invalid"].as_u64().unwrap() + 1);
        }
    }

    // The unrouted key is skipped, not failed.
    let skipped = response["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{response}");
    assert_eq!(skipped[0]["source"], format!("s3://{}/incoming/elsewhere/x.csv", world.landing));
    assert!(skipped[0]["reason"].as_str().unwrap().contains("no route"), "{response}");

    // Each table holds its own file's rows, once.
    let mut db = world.db().await;
    for (table, summary) in [("dim_customer", c), ("fact_order", o)] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert_eq!(n as u64, summary["inserted"].as_u64().unwrap(), "{table}");
    }
    let again = lambda.invoke(event).await.response();
    let again = again["files"].as_array().unwrap();
    assert!(again.iter().all(|f| f["already_loaded"] == true && f["inserted"] == 0), "{again:?}");
    drop(lambda);
    world.drop_database().await;
}
