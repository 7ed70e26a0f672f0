//! The Fargate route for objects too big for one Lambda (issue 16): an EventBridge rule on
//! `detail.object.size` starts the task, which runs `sift run s3://BUCKET/KEY --json` in the
//! image of the repository's `Dockerfile`. Docker is not available on the build machines, so
//! this runs the binary the image contains with the environment and the command
//! `template.yaml` gives the task, against the emulator (S3, SSM, SES, SNS) and a real
//! PostgreSQL reached through the credentials in SSM, as in production.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::collections::BTreeSet;
use std::process::Output;

use serde_json::{Value, json};
use sift_tests::world::{World, alerts, ses_reports};
use sift_tests::{example, gzip, repo, sift};

/// The template's text.
fn template() -> String {
    std::fs::read_to_string(repo().join("template.yaml")).unwrap()
}

/// The lines of the template's resource `name` (up to the next resource at the same indent).
fn resource(template: &str, name: &str) -> Vec<String> {
    let lines: Vec<&str> = template.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_end() == format!("  {name}:"))
        .unwrap_or_else(|| panic!("template.yaml has no resource {name}"));
    lines[start + 1..]
        .iter()
        .take_while(|l| l.is_empty() || l.starts_with("   ") || l.trim_start().starts_with('#'))
        .map(|l| (*l).to_owned())
        .collect()
}

/// The names of the environment variables the task definition gives the container.
fn task_environment_names(template: &str) -> BTreeSet<String> {
    resource(template, "LargeObjectTaskDefinition")
        .iter()
        .filter_map(|l| l.trim().strip_prefix("- Name: ").or_else(|| l.trim().strip_prefix("Name: ")))
        .filter(|name| name.starts_with("SIFT_"))
        .map(str::to_owned)
        .collect()
}

/// The container command the large-object rule's input transformer gives the task for
/// `bucket`/`key`: its `InputTemplate` with the placeholders filled, parsed as the JSON
/// EventBridge sends to ECS.
fn task_command(template: &str, bucket: &str, key: &str) -> Vec<String> {
    let rule = resource(template, "LargeObjectRule").join("\n");
    let at = rule.find("InputTemplate:").expect("the large-object rule has an InputTemplate");
    let rest = rule[at + "InputTemplate:".len()..].trim_start();
    // A YAML single-quoted scalar, possibly folded over several lines.
    let body = rest.strip_prefix('\'').expect("InputTemplate is a single-quoted scalar");
    let end = body.find("'\n").or_else(|| body.rfind('\'')).unwrap();
    let text: String =
        body[..end].split('\n').map(str::trim).collect::<Vec<_>>().join(" ").replace("''", "'");
    let filled = text.replace("<bucket>", bucket).replace("<key>", key);
    let overrides: Value = serde_json::from_str(&filled).unwrap_or_else(|e| panic!("{e}: {filled}"));
    let container = &overrides["containerOverrides"][0];
    assert_eq!(container["name"], "sift", "the override names the task's container");
    container["command"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect()
}

/// The AWS part of the task's environment: the emulator stands in for the task role.
fn aws_env(world: &World) -> Vec<(&'static str, String)> {
    world
        .env()
        .into_iter()
        .filter(|(name, _)| name.starts_with("AWS_") || *name == "SIFT_AWS_MAX_ATTEMPTS")
        .collect()
}

/// Runs the task's command with the task's environment (and no DATABASE_URL).
fn run_task(command: &[String], env: &[(&str, String)]) -> Output {
    sift()
        .args(command)
        .env_remove("DATABASE_URL")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap()
}

fn summary(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("stdout is not one JSON summary ({e}); stderr: {}", String::from_utf8_lossy(&output.stderr))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_object_runs_in_the_task_as_the_lambda_would_run_it() {
    let template = template();
    let names = task_environment_names(&template);
    let expected: BTreeSet<String> = [
        "SIFT_DB_SECRET_PARAMETER",
        "SIFT_DB_CA_BUNDLE",
        "SIFT_INVALID_TO",
        "SIFT_ROUTES",
        "SIFT_NOTIFY",
        "SIFT_EMAIL_FROM",
        "SIFT_EMAIL_TO",
        "SIFT_ALERT_INVALID_PCT",
        "SIFT_ALERT_TOPIC_ARN",
        "SIFT_LOG",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(names, expected, "the task's settings are the ones this test gives the binary");
    // Every one of them is an environment variable `sift run` reads.
    let help = String::from_utf8(sift().args(["run", "--help"]).output().unwrap().stdout).unwrap();
    for name in names.iter().filter(|n| *n != "SIFT_LOG") {
        assert!(help.contains(&format!("[env: {name}=")), "`sift run` does not read {name}:\n{help}");
    }

    let world = World::new().await;
    let key = "incoming/2026/customers big+export.csv.gz";
    world.put(key, gzip(&example())).await;
    let command = task_command(&template, &world.landing, key);
    assert_eq!(command, ["run".to_owned(), format!("s3://{}/{key}", world.landing), "--json".to_owned()]);
    let mut env = aws_env(&world);
    env.extend([
        ("SIFT_DB_SECRET_PARAMETER", world.parameter.clone()),
        // The test server's authority when scripts/test started it (the secret's sslmode is
        // the server URL's, so it is only read); empty, as unset, for a server of its own.
        ("SIFT_DB_CA_BUNDLE", std::env::var("SIFT_PG_CA").unwrap_or_default()),
        ("SIFT_INVALID_TO", format!("s3://{}/Curoupt_Records/Customer", world.invalid)),
        ("SIFT_NOTIFY", "ses".into()),
        ("SIFT_EMAIL_FROM", world.sender.clone()),
        ("SIFT_EMAIL_TO", "data-team@example.com,oncall@example.com".into()),
        ("SIFT_ALERT_INVALID_PCT", "1".into()),
        ("SIFT_ALERT_TOPIC_ARN", world.topic_arn.clone()),
        ("SIFT_LOG", "info".into()),
    ]);

    let output = run_task(&command, &env);
    let first = summary(&output);
    assert_eq!(output.status.code(), Some(0), "{first}");
    assert_eq!(first["source"], format!("s3://{}/{key}", world.landing));
    // The counts are what the validator library gives for the same bytes and as-of date.
    let as_of: chrono::NaiveDate = first["as_of"].as_str().unwrap().parse().unwrap();
    let oracle = sift_tests::oracle(&example(), as_of);
    assert_eq!(
        (first["total"].as_u64(), first["valid"].as_u64(), first["invalid"].as_u64()),
        (Some(5000), Some(oracle.tally.valid), Some(oracle.tally.invalid))
    );
    let inserted = first["inserted"].as_u64().unwrap();
    assert_eq!(inserted + first["already_present"].as_u64().unwrap(), oracle.tally.valid);
    assert_eq!(world.rows().await, inserted as i64, "every new valid row is in dim_customer");
    assert_eq!(first["notification"], "sent");
    let base = format!("s3://{}/", world.invalid);
    let invalid_key = sift_tests::invalid_key(
        first["invalid_records_uri"].as_str().unwrap(),
        &base,
        &format!("Curoupt_Records/Customer/{as_of}/customers big+export"),
    );
    let invalid = world.get(&world.invalid, invalid_key).await;
    assert_eq!(invalid, oracle.invalid_csv, "the invalid records, byte for byte");
    assert_eq!(ses_reports(&world.sender).len(), 1, "one report through SES");
    assert_eq!(alerts(&world.topic_arn), 1, "the invalid share is over 1%: one alert");

    // EventBridge delivers at least once: a second task for the same object loads nothing.
    let again = summary(&run_task(&command, &env));
    assert_eq!(
        (again["inserted"].as_u64(), again["already_present"].as_u64()),
        (Some(0), first["valid"].as_u64())
    );
    assert_eq!(world.rows().await, inserted as i64);
    world.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_takes_the_lambda_s_routes_and_names_a_key_no_route_takes() {
    let world = World::new().await;
    let contract = std::fs::read(repo().join("contracts/orders.toml")).unwrap();
    world.put("config/orders.toml", contract).await;
    let mut orders = Vec::new();
    let planted = sift_datagen::generate_orders(42, 5.0, 2_000, &mut orders).unwrap();
    world.put("orders/2026/o.csv", orders).await;
    world
        .put(
            "config/customers.odcs.yaml",
            std::fs::read(repo().join("contracts/odcs/customers.odcs.yaml")).unwrap(),
        )
        .await;
    world.put("odcs/c.csv", example()).await;
    let routes = json!([
        {"prefix": "orders/", "contract": format!("s3://{}/config/orders.toml", world.landing), "invalid_prefix": "/bad/orders/"},
        {"prefix": "odcs/", "contract": format!("s3://{}/config/customers.odcs.yaml", world.landing), "invalid_prefix": "bad/odcs"},
        {"prefix": "incoming/", "contract": "builtin:customer", "invalid_prefix": "bad/customers"},
    ]);
    let mut env = aws_env(&world);
    env.extend([
        ("SIFT_DB_SECRET_PARAMETER", world.parameter.clone()),
        ("SIFT_INVALID_TO", format!("s3://{}/ignored-with-routes", world.invalid)),
        ("SIFT_ROUTES", routes.to_string()),
        ("SIFT_NOTIFY", "none".into()),
    ]);
    let command =
        |key: &str| ["run".to_owned(), format!("s3://{}/{key}", world.landing), "--json".to_owned()];

    let output = run_task(&command("orders/2026/o.csv"), &env);
    let json = summary(&output);
    assert_eq!(output.status.code(), Some(0), "{json}");
    assert_eq!((json["dataset"].as_str(), json["table"].as_str()), (Some("orders"), Some("fact_order")));
    assert_eq!(json["invalid"], planted.invalid);
    assert_eq!(json["inserted"], planted.rows - planted.invalid - planted.repeats);
    let today = chrono::Utc::now().date_naive();
    sift_tests::invalid_key(
        json["invalid_records_uri"].as_str().unwrap(),
        &format!("s3://{}/", world.invalid),
        &format!("bad/orders/{today}/o"),
    );

    // An ODCS contract in S3 runs directly; what it cannot map is noted on stderr.
    let output = run_task(&command("odcs/c.csv"), &env);
    let json = summary(&output);
    assert_eq!(output.status.code(), Some(0), "{json}");
    assert_eq!(
        (json["dataset"].as_str(), json["table"].as_str()),
        (Some("customer"), Some("dim_customer_odcs"))
    );
    assert!(json["rule_warnings"]["phone_number"].as_u64().unwrap() > 0, "{json}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not mapped from ODCS: schema[0].properties[5].classification"), "{stderr}");

    let output = run_task(&command("elsewhere/c.csv"), &env);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no route's prefix matches key \"elsewhere/c.csv\""), "{stderr}");
    world.drop_database().await;
}
