//! The event shapes the Lambda accepts (SPEC section 5), turned into the objects to process.
//!
//! - An S3 notification (`{"Records": [{"eventSource": "aws:s3", ...}]}`), one object per
//!   `ObjectCreated:*` record. Keys arrive URL-encoded, with `+` for a space.
//! - An SQS batch (`{"Records": [{"eventSource": "aws:sqs", ...}]}`) whose message bodies are S3
//!   notifications (also inside an SNS envelope, for S3 -> SNS -> SQS fan-out) or direct
//!   requests. Each message succeeds or fails on its own (partial batch response).
//! - An EventBridge event from S3 (`{"source": "aws.s3", "detail-type": "Object Created", ...}`),
//!   as the template routes objects by size (small ones here, large ones to the Fargate task).
//!   EventBridge carries the key as stored, not URL-encoded: it is taken as is. Other S3
//!   detail types (`Object Deleted`, ...) are skipped.
//! - A direct request `{"bucket": "...", "key": "..."}` for re-runs; its key is taken as is.
//! - S3's `s3:TestEvent`, sent once when a notification is configured: nothing to do.

use aws_lambda_events::s3::S3Event;
use aws_lambda_events::sqs::SqsEvent;
use serde::Deserialize;
use serde_json::Value;

use crate::error::Error;

/// An object to process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectRef {
    /// Bucket name.
    pub bucket: String,
    /// Object key, decoded.
    pub key: String,
    /// The object's size as the event gives it (none for a direct request).
    pub size: Option<u64>,
}

impl ObjectRef {
    /// `s3://bucket/key`.
    pub(crate) fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// One SQS message of a batch: its id, and its objects or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SqsItem {
    /// The message id (the partial batch response's item identifier).
    pub message_id: String,
    /// The objects the message names (none for an S3 test event), or why it is unreadable.
    pub objects: Result<Vec<ObjectRef>, String>,
}

/// An invocation's event, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Invocation {
    /// An S3 notification or a direct request: the invocation fails if any object fails.
    Objects(Vec<ObjectRef>),
    /// An SQS batch: failed messages are reported one by one.
    Sqs(Vec<SqsItem>),
}

/// A direct re-run request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Direct {
    bucket: String,
    key: String,
}

/// Decodes an invocation's payload.
pub(crate) fn parse(payload: Value) -> Result<Invocation, Error> {
    let source = payload
        .get("Records")
        .and_then(|records| records.get(0))
        .and_then(|record| record.get("eventSource").or_else(|| record.get("EventSource")))
        .and_then(Value::as_str)
        .map(str::to_owned);
    match source.as_deref() {
        Some("aws:sqs") => {
            let event: SqsEvent = serde_json::from_value(payload)
                .map_err(|e| Error::Event(format!("an SQS event that does not parse: {e}")))?;
            let items = event
                .records
                .into_iter()
                .enumerate()
                .map(|(i, message)| {
                    let message_id = message.message_id.unwrap_or_else(|| format!("record {i}"));
                    let objects = match message.body {
                        None => Err("the message has no body".to_owned()),
                        Some(body) => serde_json::from_str::<Value>(&body)
                            .map_err(|e| format!("the message body is not JSON: {e}"))
                            .and_then(|body| objects_in(unwrap_sns(body)).map_err(|e| e.to_string())),
                    };
                    SqsItem { message_id, objects }
                })
                .collect();
            Ok(Invocation::Sqs(items))
        }
        _ => objects_in(payload).map(Invocation::Objects),
    }
}

/// The objects in an S3 notification, an S3 test event or a direct request.
fn objects_in(payload: Value) -> Result<Vec<ObjectRef>, Error> {
    if payload.get("Records").is_some() {
        return s3_objects(payload);
    }
    if payload.get("source").and_then(Value::as_str) == Some("aws.s3")
        && let Some(detail_type) = payload.get("detail-type").and_then(Value::as_str)
    {
        return eventbridge_objects(detail_type, &payload);
    }
    if payload.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        tracing::info!("S3 test event: nothing to process");
        return Ok(Vec::new());
    }
    if payload.get("bucket").is_some() || payload.get("key").is_some() {
        let direct: Direct = serde_json::from_value(payload).map_err(|e| {
            Error::Event(format!("a direct request needs {{\"bucket\", \"key\"}} strings: {e}"))
        })?;
        if direct.bucket.is_empty() || direct.key.is_empty() {
            return Err(Error::Event("a direct request needs a non-empty bucket and key".into()));
        }
        return Ok(vec![ObjectRef { bucket: direct.bucket, key: direct.key, size: None }]);
    }
    Err(Error::Event(format!(
        "expected an S3 notification, an SQS batch, an S3 EventBridge event or {{\"bucket\", \"key\"}}; got {}",
        describe(&payload)
    )))
}

fn s3_objects(payload: Value) -> Result<Vec<ObjectRef>, Error> {
    let event: S3Event = serde_json::from_value(payload)
        .map_err(|e| Error::Event(format!("an S3 notification that does not parse: {e}")))?;
    let mut objects = Vec::with_capacity(event.records.len());
    for record in event.records {
        let name = record.event_name.unwrap_or_default();
        if !name.starts_with("ObjectCreated:") {
            tracing::info!(event_name = %name, "not an ObjectCreated event: skipped");
            continue;
        }
        let (Some(bucket), Some(key)) = (record.s3.bucket.name, record.s3.object.key) else {
            return Err(Error::Event("an S3 record without bucket name or object key".into()));
        };
        let size = record.s3.object.size.and_then(|n| u64::try_from(n).ok());
        objects.push(ObjectRef { bucket, key: decode_key(&key)?, size });
    }
    Ok(objects)
}

/// The object of an S3 EventBridge event: `detail.bucket.name` and `detail.object.key` (as
/// stored). Only `Object Created` is processed.
fn eventbridge_objects(detail_type: &str, payload: &Value) -> Result<Vec<ObjectRef>, Error> {
    if detail_type != "Object Created" {
        tracing::info!(detail_type, "not an Object Created event: skipped");
        return Ok(Vec::new());
    }
    let detail = payload.get("detail");
    let field = |path: [&str; 2]| {
        detail.and_then(|d| d.get(path[0])).and_then(|d| d.get(path[1])).and_then(Value::as_str)
    };
    let size = detail.and_then(|d| d.get("object")).and_then(|o| o.get("size")).and_then(Value::as_u64);
    match (field(["bucket", "name"]), field(["object", "key"])) {
        (Some(bucket), Some(key)) if !bucket.is_empty() && !key.is_empty() => {
            Ok(vec![ObjectRef { bucket: bucket.to_owned(), key: key.to_owned(), size }])
        }
        _ => Err(Error::Event(
            "an S3 EventBridge event without detail.bucket.name or detail.object.key strings".into(),
        )),
    }
}

/// An S3 notification delivered through SNS to SQS arrives wrapped in an SNS envelope.
fn unwrap_sns(body: Value) -> Value {
    if body.get("Type").and_then(Value::as_str) == Some("Notification")
        && let Some(inner) =
            body.get("Message").and_then(Value::as_str).and_then(|m| serde_json::from_str(m).ok())
    {
        return inner;
    }
    body
}

/// An S3 event key as stored: `+` is a space, then percent-decoding (UTF-8).
pub(crate) fn decode_key(key: &str) -> Result<String, Error> {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| Error::Event(format!("object key {key:?} does not decode to UTF-8")))
}

/// What a payload looks like, for an error message, without echoing its values.
fn describe(payload: &Value) -> String {
    match payload {
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().map(String::as_str).take(8).collect();
            format!("an object with keys {keys:?}")
        }
        Value::Array(_) => "an array".into(),
        Value::String(_) => "a string".into(),
        Value::Null => "null".into(),
        other => format!("a {}", if other.is_number() { "number" } else { "boolean" }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use serde_json::json;

    use super::*;

    /// A notification as S3 sends it (trimmed to the fields S3 always includes).
    fn s3_record(event_name: &str, bucket: &str, encoded_key: &str) -> Value {
        json!({
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2026-11-26T08:15:00.000Z",
            "eventName": event_name,
            "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
            "requestParameters": {"sourceIPAddress": "203.0.113.7"},
            "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "sift-landing",
                "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": format!("arn:aws:s3:::{bucket}")},
                "object": {"key": encoded_key, "size": 1024, "eTag": "d41d8cd98f00b204e9800998ecf8427e", "sequencer": "0055AED6DCD90281E5"}
            }
        })
    }

    fn sqs_record(id: &str, body: &str) -> Value {
        json!({
            "messageId": id,
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764144900000"},
            "messageAttributes": {},
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:sift-landing",
            "awsRegion": "us-east-1"
        })
    }

    fn object(bucket: &str, key: &str) -> ObjectRef {
        ObjectRef { bucket: bucket.into(), key: key.into(), size: None }
    }

    fn sized(bucket: &str, key: &str, size: u64) -> ObjectRef {
        ObjectRef { size: Some(size), ..object(bucket, key) }
    }

    #[test]
    fn s3_keys_are_url_decoded_with_plus_as_space() {
        let event = json!({"Records": [
            s3_record("ObjectCreated:Put", "landing", "incoming/customer+list%2B2026+%C3%A9t%C3%A9.csv"),
            s3_record("ObjectCreated:CompleteMultipartUpload", "landing", "incoming/b.csv"),
            s3_record("ObjectRemoved:Delete", "landing", "incoming/gone.csv"),
        ]});
        assert_eq!(
            parse(event).unwrap(),
            Invocation::Objects(vec![
                sized("landing", "incoming/customer list+2026 été.csv", 1024),
                sized("landing", "incoming/b.csv", 1024),
            ])
        );
    }

    /// An EventBridge event as S3 sends it (the S3 user guide's example, trimmed).
    fn eventbridge(detail_type: &str, bucket: &str, key: &str) -> Value {
        json!({
            "version": "0",
            "id": "17793124-05d4-b198-2fde-7ededc63b103",
            "detail-type": detail_type,
            "source": "aws.s3",
            "account": "111122223333",
            "time": "2026-11-30T00:00:00Z",
            "region": "us-east-1",
            "resources": [format!("arn:aws:s3:::{bucket}")],
            "detail": {
                "version": "0",
                "bucket": {"name": bucket},
                "object": {"key": key, "size": 5_000_000_000_u64, "etag": "b1946ac92492d2347c6235b4d2611184", "sequencer": "617f08299329d189"},
                "request-id": "N4N7GDK58NMKJ12R",
                "requester": "123456789012",
                "reason": "PutObject"
            }
        })
    }

    #[test]
    fn eventbridge_object_created_events_take_the_key_as_is() {
        assert_eq!(
            parse(eventbridge("Object Created", "landing", "incoming/a+b %41.csv.gz")).unwrap(),
            Invocation::Objects(vec![sized("landing", "incoming/a+b %41.csv.gz", 5_000_000_000)])
        );
        assert_eq!(
            parse(eventbridge("Object Deleted", "landing", "incoming/a.csv")).unwrap(),
            Invocation::Objects(vec![])
        );
        let mut broken = eventbridge("Object Created", "landing", "k");
        broken["detail"]["object"] = json!({"size": 5});
        let err = parse(broken).unwrap_err().to_string();
        assert!(err.contains("detail.object.key"), "{err}");
        // Through SQS (an EventBridge rule targeting a queue) as well.
        let body = eventbridge("Object Created", "landing", "incoming/c.csv").to_string();
        let Invocation::Sqs(items) = parse(json!({"Records": [sqs_record("1", &body)]})).unwrap() else {
            panic!("not an SQS batch")
        };
        assert_eq!(items[0].objects, Ok(vec![sized("landing", "incoming/c.csv", 5_000_000_000)]));
    }

    #[test]
    fn direct_requests_take_the_key_as_is() {
        let event = json!({"bucket": "landing", "key": "incoming/a+b %41.csv"});
        assert_eq!(
            parse(event).unwrap(),
            Invocation::Objects(vec![object("landing", "incoming/a+b %41.csv")])
        );
        for bad in [
            json!({"bucket": "landing"}),
            json!({"bucket": "", "key": "k"}),
            json!({"bucket": 1, "key": "k"}),
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains("direct request"), "{err}");
        }
    }

    #[test]
    fn sqs_messages_carry_s3_events_sns_envelopes_direct_requests_or_garbage() {
        let s3 = json!({"Records": [s3_record("ObjectCreated:Put", "landing", "incoming/a+b.csv")]});
        let sns = json!({"Type": "Notification", "MessageId": "m", "Message": s3.to_string()});
        let event = json!({"Records": [
            sqs_record("1", &s3.to_string()),
            sqs_record("2", &sns.to_string()),
            sqs_record("3", r#"{"bucket": "landing", "key": "incoming/c.csv"}"#),
            sqs_record("4", "not json"),
            sqs_record("5", r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"landing"}"#),
            sqs_record("6", r#"{"hello": "world"}"#),
        ]});
        let Invocation::Sqs(items) = parse(event).unwrap() else { panic!("not an SQS batch") };
        let ids: Vec<&str> = items.iter().map(|i| i.message_id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3", "4", "5", "6"]);
        assert_eq!(items[0].objects, Ok(vec![sized("landing", "incoming/a b.csv", 1024)]));
        assert_eq!(items[1].objects, items[0].objects);
        assert_eq!(items[2].objects, Ok(vec![object("landing", "incoming/c.csv")]));
        assert!(items[3].objects.as_ref().unwrap_err().contains("not JSON"));
        assert_eq!(items[4].objects, Ok(vec![]));
        assert!(items[5].objects.as_ref().unwrap_err().contains("keys [\"hello\"]"));
    }

    #[test]
    fn unknown_shapes_are_refused_with_what_was_expected() {
        for payload in
            [json!({"detail-type": "Object Created"}), json!([1, 2]), json!("s3://b/k"), json!(null)]
        {
            let err = parse(payload).unwrap_err().to_string();
            assert!(err.contains("expected an S3 notification, an SQS batch"), "{err}");
        }
        let err = parse(json!({"Records": [{"eventSource": "aws:s3"}]})).unwrap_err().to_string();
        assert!(err.contains("S3 notification that does not parse"), "{err}");
    }

    #[test]
    fn bad_percent_encoding_is_an_error_not_a_guess() {
        assert_eq!(decode_key("a%20b+c").unwrap(), "a b c");
        assert!(decode_key("a%FFb").is_err());
    }
}
