//! CloudWatch Embedded Metric Format lines: finding them in a log and checking them against
//! the format's schema (`tests/data/emf.schema.json`) and its cross-references.

use serde_json::Value;

/// The EMF documents among `log`'s lines (JSON objects with an `_aws` member).
pub fn documents(log: &str) -> Vec<Value> {
    log.lines()
        .filter(|l| l.contains("\"_aws\""))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect()
}

/// Panics unless `document` is a valid EMF document: the schema, then what the schema cannot
/// express: every metric a directive names is a numeric root member, every dimension a string
/// one.
pub fn assert_valid(document: &Value) {
    let schema: Value = serde_json::from_str(include_str!("../data/emf.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(document).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "not EMF: {errors:?}: {document}");
    for directive in document["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(document[name].is_number(), "metric {name} has no numeric root member: {document}");
        }
        for set in directive["Dimensions"].as_array().unwrap() {
            for key in set.as_array().unwrap() {
                let key = key.as_str().unwrap();
                assert!(document[key].is_string(), "dimension {key} has no string root member: {document}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_specification_s_example_passes_and_broken_documents_do_not() {
        let good = json!({
            "_aws": {"Timestamp": 1_574_109_732_004_u64, "CloudWatchMetrics": [
                {"Namespace": "lambda-function-metrics", "Dimensions": [["functionVersion"]],
                 "Metrics": [{"Name": "time", "Unit": "Milliseconds"}]}]},
            "functionVersion": "$LATEST", "time": 100
        });
        assert_valid(&good);
        let mut bad_unit = good.clone();
        bad_unit["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Rows");
        let mut no_target = good.clone();
        no_target.as_object_mut().unwrap().remove("time");
        let mut ten_dimensions = good.clone();
        ten_dimensions["_aws"]["CloudWatchMetrics"][0]["Dimensions"] =
            json!([(0..10).map(|i| format!("d{i}")).collect::<Vec<_>>()]);
        let mut no_timestamp = good;
        no_timestamp["_aws"].as_object_mut().unwrap().remove("Timestamp");
        for bad in [bad_unit, no_target, ten_dimensions, no_timestamp] {
            assert!(std::panic::catch_unwind(|| assert_valid(&bad)).is_err(), "{bad}");
        }
    }
}
