//! The compiled `bootstrap` binary, end to end, as Lambda runs it: a local Runtime API (see
//! `runtime/`) delivers real-shaped events; S3, SSM, SES and SNS are moto (SIFT_MOTO_ENDPOINT,
//! started by `scripts/test`); the warehouse is a real PostgreSQL (DATABASE_URL), reached
//! through credentials the binary reads from SSM, as in production.
//!
//! `SIFT_BOOTSTRAP=target/release/bootstrap` runs the same test against another build (the
//! cold-start measurement in the README uses it).

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod runtime;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sqlx::Connection;

use crate::runtime::Lambda;

fn endpoint() -> String {
    std::env::var("SIFT_MOTO_ENDPOINT").expect(
        "SIFT_MOTO_ENDPOINT must name an AWS API emulator; run `scripts/test`, which starts moto[server]",
    )
}

fn admin_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must name a PostgreSQL server where the user may create databases; run \
         `scripts/test`, which starts a throwaway cluster",
    )
}

fn bootstrap() -> PathBuf {
    std::env::var_os("SIFT_BOOTSTRAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_bootstrap").into())
}

fn example() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/customers.csv")).unwrap()
}

/// A notification as S3 sends it: the key URL-encoded, `+` for a space.
fn s3_record(bucket: &str, encoded_key: &str, size: usize) -> Value {
    json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-26T08:15:00.000Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.7"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "sift-landing",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": format!("arn:aws:s3:::{bucket}")},
            "object": {"key": encoded_key, "size": size, "eTag": "d41d8cd98f00b204e9800998ecf8427e", "sequencer": "0055AED6DCD90281E5"}
        }
    })
}

fn sqs_message(id: &str, body: &Value) -> Value {
    json!({
        "messageId": id,
        "receiptHandle": format!("AQEB{id}"),
        "body": body.to_string(),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764144900000", "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1764144900001"},
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:sift-landing",
        "awsRegion": "us-east-1"
    })
}

/// The world the binary runs in: buckets, the SSM parameter, the SES sender, the SNS topic
/// and a fresh database, all named after this process.
struct World {
    s3: aws_sdk_s3::Client,
    landing: String,
    invalid: String,
    sender: String,
    topic_arn: String,
    parameter: String,
    password: String,
    database: String,
    db_url: String,
}

impl World {
    async fn new() -> Self {
        let tag = std::process::id();
        let config = sift_aws::emulator_config(&endpoint(), 3);
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build(),
        );
        let landing = format!("sift-landing-{tag}");
        let invalid = format!("sift-quarantine-{tag}");
        for bucket in [&landing, &invalid] {
            s3.create_bucket().bucket(bucket).send().await.unwrap();
        }
        let sender = format!("sift-lambda-{tag}@example.com");
        aws_sdk_ses::Client::new(&config)
            .verify_email_identity()
            .email_address(&sender)
            .send()
            .await
            .unwrap();
        let topic = aws_sdk_sns::Client::new(&config)
            .create_topic()
            .name(format!("sift-alerts-{tag}"))
            .send()
            .await
            .unwrap();

        // A fresh database on the test server; the binary gets its credentials from SSM only.
        let admin = url::Url::parse(&admin_url()).unwrap();
        let database = format!("sift_lambda_e2e_{tag}");
        let mut connection = sqlx::PgConnection::connect(admin.as_str()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {database}")))
            .execute(&mut connection)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .execute(&mut connection)
            .await
            .unwrap();
        let mut db_url = admin.clone();
        db_url.set_path(&database);
        // A planted password (the throwaway cluster trusts loopback) unless the server needs the real one.
        let password = match admin.password() {
            Some(p) => {
                url::form_urlencoded::parse(format!("p={p}").as_bytes()).next().unwrap().1.into_owned()
            }
            None => format!("planted-Pa55-{tag}-never-logged"),
        };
        let sslmode = admin
            .query_pairs()
            .find(|(k, _)| k == "sslmode")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| "prefer".into());
        let credentials = json!({
            "host": admin.host_str().unwrap(),
            "port": admin.port().unwrap_or(5432).to_string(),
            "dbname": database,
            "username": if admin.username().is_empty() { "postgres" } else { admin.username() },
            "password": password,
            "sslmode": sslmode,
        });
        let parameter = format!("/sift-e2e-{tag}/db-config");
        aws_sdk_ssm::Client::new(&config)
            .put_parameter()
            .name(&parameter)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .value(credentials.to_string())
            .send()
            .await
            .unwrap();
        Self {
            s3,
            landing,
            invalid,
            sender,
            topic_arn: topic.topic_arn().unwrap().to_owned(),
            parameter,
            password,
            database,
            db_url: db_url.to_string(),
        }
    }

    /// The Lambda's environment: the SPEC's variables, the emulator as AWS, no DATABASE_URL.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_SESSION_TOKEN", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("SIFT_INVALID_BUCKET", self.invalid.clone()),
            ("SIFT_DB_SECRET_PARAMETER", self.parameter.clone()),
            ("SIFT_EMAIL_FROM", self.sender.clone()),
            ("SIFT_EMAIL_TO", "data-team@example.com, oncall@example.com".into()),
            ("SIFT_ALERT_INVALID_PCT", "1".into()),
            ("SIFT_ALERT_TOPIC_ARN", self.topic_arn.clone()),
            ("SIFT_AWS_MAX_ATTEMPTS", "2".into()),
        ]
    }

    async fn put(&self, key: &str, body: Vec<u8>) {
        self.s3.put_object().bucket(&self.landing).key(key).body(body.into()).send().await.unwrap();
    }

    async fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        let object =
            self.s3.get_object().bucket(bucket).key(key).send().await.unwrap_or_else(|e| {
                panic!("s3://{bucket}/{key}: {}", aws_sdk_s3::error::DisplayErrorContext(e))
            });
        object.body.collect().await.unwrap().into_bytes().to_vec()
    }

    async fn db(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.db_url).await.unwrap()
    }

    async fn rows(&self) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM dim_customer")
            .fetch_one(&mut self.db().await)
            .await
            .unwrap()
    }

    async fn drop_database(&self) {
        if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url()).await {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database);
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
        }
    }
}

fn ses_reports(sender: &str) -> Vec<mail_parser::Message<'static>> {
    let state = sift_aws::emulator_state(&endpoint()).unwrap();
    state["ses"]["RawMessage"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|m| m["source"] == sender)
        .map(|m| {
            let raw = m["raw_data"].as_str().unwrap().as_bytes().to_vec();
            mail_parser::MessageParser::default().parse(&raw).unwrap().into_owned()
        })
        .collect()
}

fn alerts(topic_arn: &str) -> usize {
    let state = sift_aws::emulator_state(&endpoint()).unwrap();
    state["sns"]["Topic"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["arn"] == topic_arn)
        .map(|t| t["sent_notifications"].as_array().unwrap().len())
        .unwrap_or(0)
}

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
    let oracle = sift_validator::validate_bytes(
        sift_validator::customer_rules(None),
        as_of,
        &body,
        sift_validator::DEFAULT_CHUNK_ROWS,
    )
    .unwrap();
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
    let invalid_key = format!("Curoupt_Records/Customer/{as_of}/customer list+2026_invalid_records.csv");
    assert_eq!(summary["invalid_records_uri"], format!("s3://{}/{invalid_key}", world.invalid).as_str());
    assert_eq!(world.get(&world.invalid, &invalid_key).await, oracle.invalid_csv);

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
    let own_output = format!("{}/{as_of}/x_invalid_records.csv", "Curoupt_Records/Customer");
    let batch = json!({"Records": [
        sqs_message("m-good", &json!({"Records": [s3_record(&world.landing, "incoming/second+batch.csv", generated.len())]})),
        sqs_message("m-rejected", &json!({"Records": [s3_record(&world.landing, "incoming/broken.csv", 14)]})),
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
    assert_eq!(files.len(), 2, "{response}");
    assert_eq!(
        (files[0]["status"].as_str(), files[0]["total"].as_u64()),
        (Some("ok"), Some(generated_rows.rows))
    );
    assert_eq!(files[1]["status"], "rejected");
    assert!(files[1]["error"].as_str().unwrap().contains("customer_id"), "{}", files[1]);
    assert_eq!(response["skipped"][0]["source"], format!("s3://{}/{own_output}", world.invalid).as_str());
    let added = files[0]["inserted"].as_u64().unwrap();
    assert_eq!(world.rows().await, before + added as i64);

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
        assert!(entry.get("level").is_some(), "{line}");
        lines += 1;
    }
    assert!(lines > 5 && logs.contains("e2e-0001"), "request ids in the logs:\n{logs}");
    assert!(!logs.contains(&world.password), "the database password leaked into the logs");
    // Names and emails of every row (a crude split is enough: fragments must not appear either).
    let text = String::from_utf8(body).unwrap();
    for line in text.lines().skip(1) {
        for value in line.split(',').skip(1).take(2).filter(|v| v.len() >= 6) {
            assert!(!logs.contains(value), "a customer value ({value:?}) leaked into the logs");
        }
    }
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
