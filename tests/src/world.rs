//! The world a Lambda runs in (buckets, SSM parameter, SES sender, SNS topic, a fresh
//! database), realistic event shapes, and what the emulator recorded (reports, alerts), with
//! the leak scan over them.

use serde_json::{Value, json};
use sqlx::Connection;

use crate::{admin_url, moto_endpoint as endpoint};

/// A notification as S3 sends it: the key URL-encoded, `+` for a space.
pub fn s3_record(bucket: &str, encoded_key: &str, size: usize) -> Value {
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

/// An SQS record whose body is `body` (an S3 notification), as Lambda delivers it.
pub fn sqs_message(id: &str, body: &Value) -> Value {
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
#[derive(Debug)]
pub struct World {
    /// A client of the emulator's S3.
    pub s3: aws_sdk_s3::Client,
    /// The bucket sources land in.
    pub landing: String,
    /// The bucket invalid records go to.
    pub invalid: String,
    /// The verified SES sender of reports.
    pub sender: String,
    /// The SNS topic alerts go to.
    pub topic_arn: String,
    /// The SSM parameter holding the database password.
    pub parameter: String,
    /// The database password the parameter holds.
    pub password: String,
    /// The fresh database's name.
    pub database: String,
    /// URL of the fresh database.
    pub db_url: String,
    /// URL of the server's admin database (creates and drops the fresh one).
    pub admin_url: String,
}

impl World {
    /// The world on the test server (`DATABASE_URL`).
    pub async fn new() -> Self {
        Self::on(&admin_url()).await
    }

    /// The world on the PostgreSQL server at `admin_url` (a user who may create databases).
    pub async fn on(admin_url: &str) -> Self {
        // Unique per world: a test binary may build several, in parallel.
        static WORLDS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let tag =
            format!("{}-{}", std::process::id(), WORLDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
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
        let admin = url::Url::parse(admin_url).unwrap();
        let database = format!("sift_lambda_e2e_{}", tag.replace('-', "_"));
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
            admin_url: admin_url.to_owned(),
        }
    }

    /// The Lambda's environment: the SPEC's variables, the emulator as AWS, no DATABASE_URL.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        self.env_via(&endpoint())
    }

    /// The same, with AWS reached at `aws_endpoint` (a fault-injecting proxy).
    pub fn env_via(&self, aws_endpoint: &str) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", aws_endpoint.to_owned()),
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

    /// Puts `body` into the landing bucket at `key`.
    pub async fn put(&self, key: &str, body: Vec<u8>) {
        self.s3.put_object().bucket(&self.landing).key(key).body(body.into()).send().await.unwrap();
    }

    /// The object `bucket/key`; panics naming it when it is missing.
    pub async fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        let object =
            self.s3.get_object().bucket(bucket).key(key).send().await.unwrap_or_else(|e| {
                panic!("s3://{bucket}/{key}: {}", aws_sdk_s3::error::DisplayErrorContext(e))
            });
        object.body.collect().await.unwrap().into_bytes().to_vec()
    }

    /// A connection to the fresh database.
    pub async fn db(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.db_url).await.unwrap()
    }

    /// Rows in `dim_customer` (0 before the first load creates it).
    pub async fn rows(&self) -> i64 {
        let mut db = self.db().await;
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('dim_customer') IS NOT NULL")
            .fetch_one(&mut db)
            .await
            .unwrap();
        if !exists {
            return 0;
        }
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM dim_customer").fetch_one(&mut db).await.unwrap()
    }

    /// Drops the fresh database (best effort: the test is over).
    pub async fn drop_database(&self) {
        if let Ok(mut c) = sqlx::PgConnection::connect(&self.admin_url).await {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database);
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
        }
    }
}

/// The report emails the emulator's SES accepted from `sender`, parsed.
pub fn ses_reports(sender: &str) -> Vec<mail_parser::Message<'static>> {
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

/// How many alerts the emulator's SNS topic `topic_arn` published.
pub fn alerts(topic_arn: &str) -> usize {
    let state = sift_aws::emulator_state(&endpoint()).unwrap();
    state["sns"]["Topic"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["arn"] == topic_arn)
        .map(|t| t["sent_notifications"].as_array().unwrap().len())
        .unwrap_or(0)
}

/// The names and emails of `csv`'s rows (the 2nd and 3rd fields, by a crude split that is
/// enough for generated files), those long enough not to occur by chance.
pub fn customer_values(csv: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(csv);
    text.lines()
        .skip(1)
        .flat_map(|line| line.split(',').skip(1).take(2).map(str::to_owned).collect::<Vec<_>>())
        .filter(|v| v.len() >= 6)
        .collect()
}

/// The words a customer value is made of: runs of letters, digits and `@._+-'` (an email is
/// one word, a name one per part).
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || "@._+-'".contains(c))).filter(|w| w.len() >= 6)
}

/// Fails when a word of any of `planted` (see `words`) is a word of `text` (`what` names where,
/// for the message). A set lookup per word of `text`, however many values are planted.
pub fn assert_absent(text: &str, planted: &[String], what: &str) {
    let planted: std::collections::HashSet<&str> = planted.iter().flat_map(|v| words(v)).collect();
    assert!(!planted.is_empty(), "nothing planted to look for in {what}");
    if let Some(word) = words(text).find(|w| planted.contains(w)) {
        let at = text.find(word).unwrap_or(0);
        let context = &text
            [text.floor_char_boundary(at.saturating_sub(80))..text.ceil_char_boundary(at + word.len() + 80)];
        panic!("a planted value ({word:?}) leaked into {what}: ...{context}...");
    }
}

/// Subject, text and HTML of every SES report `sender` sent, as one string to scan.
pub fn ses_texts(sender: &str) -> String {
    ses_reports(sender)
        .iter()
        .map(|m| {
            format!(
                "{}\n{}\n{}",
                m.subject().unwrap_or_default(),
                m.body_text(0).unwrap_or_default(),
                m.body_html(0).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
