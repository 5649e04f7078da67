//! The `simulate` command line: the report's fields, seeds, exit code 2 for an invalid scenario or a run
//! stopped by its work budget.
#![cfg(not(target_arch = "wasm32"))]
use std::process::Command;

/// A fresh directory of this test process's own under the system's temporary directory.
fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("brokerscope-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn simulate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_simulate")).args(args).output().unwrap()
}

#[test]
fn prints_one_json_report_with_the_documented_fields() {
    let out = simulate(&["scenarios/05-duplicate-welcome-email.json", "--no-trace"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in [
        "seed",
        "end_time_ms",
        "produced",
        "appended",
        "delivered",
        "processed",
        "effects_applied",
        "duplicate_effects",
        "lost_messages",
        "dead_lettered",
        "out_of_order",
        "stale_reads",
        "trace_hash",
        "anomalies",
        "events_processed",
    ] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    assert!(v["duplicate_effects"].as_u64().unwrap() > 0);
    let a = &v["anomalies"][0];
    assert!(a["kind"].is_string() && a["message_id"].is_u64() && a["explanation"].as_str().unwrap().len() > 40);
}

#[test]
fn seed_and_until_override_the_file_and_runs_are_reproducible() {
    let run = |args: &[&str]| -> serde_json::Value { serde_json::from_slice(&simulate(args).stdout).unwrap() };
    let a = run(&["scenarios/02-message-queue.json", "--seed", "99"]);
    let b = run(&["scenarios/02-message-queue.json", "--seed", "99", "--no-trace"]);
    let c = run(&["scenarios/02-message-queue.json", "--seed", "100"]);
    assert_eq!(a["seed"], 99);
    assert_eq!(a, b, "trace off changes nothing in the report");
    assert_ne!(a["trace_hash"], c["trace_hash"]);
    let short = run(&["scenarios/02-message-queue.json", "--until-ms", "2000"]);
    assert!(short["produced"].as_u64().unwrap() < a["produced"].as_u64().unwrap());
}

#[test]
fn invalid_input_exits_2_with_a_located_message() {
    let dir = scratch_dir("cli");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"version": 1, "topics": [{"name": "t", "partitions": 0}]}"#).unwrap();
    let out = simulate(&[bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("topics[0].partitions: 0 is out of range"), "{err}");
    assert_eq!(simulate(&["no-such-file.json"]).status.code(), Some(2));
    assert_eq!(simulate(&["scenarios/02-message-queue.json", "--seed", "x"]).status.code(), Some(2));
    assert_eq!(simulate(&[]).status.code(), Some(2));
}

/// The format document's complete example and the report it shows: the report must be what the
/// command line prints for that scenario today (every figure and the trace hash; the document shows only
/// the first two anomalies), so the document cannot go stale.
#[test]
fn the_format_documents_example_report_is_what_the_cli_prints() {
    let doc = std::fs::read_to_string("docs/scenario-format.md").unwrap();
    let json_block_after = |heading: &str| {
        let at = doc.find(heading).unwrap_or_else(|| panic!("no '{heading}' in the document"));
        let start = doc[at..].find("```json\n").unwrap() + at + "```json\n".len();
        let end = doc[start..].find("```").unwrap() + start;
        doc[start..end].to_string()
    };
    let dir = scratch_dir("doc-example");
    let file = dir.join("example-scenario.json");
    std::fs::write(&file, json_block_after("## A complete example")).unwrap();
    let out = simulate(&[file.to_str().unwrap(), "--no-trace"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shown: serde_json::Value = serde_json::from_str(&json_block_after("## The report")).unwrap();
    for (field, value) in shown.as_object().unwrap() {
        if field == "anomalies" {
            let all = printed["anomalies"].as_array().unwrap();
            for (i, a) in value.as_array().unwrap().iter().enumerate() {
                assert!(all.contains(a), "anomaly {i} shown in the document is not in the report: {a}");
            }
        } else {
            assert_eq!(&printed[field], value, "'{field}' in the document's report");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn trace_writes_every_event_of_the_run_a_json_object_a_line() {
    let dir = scratch_dir("trace");
    let file = dir.join("trace.jsonl");
    let out = simulate(&["scenarios/08-producer-retries.json", "--trace", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let plain: serde_json::Value =
        serde_json::from_slice(&simulate(&["scenarios/08-producer-retries.json"]).stdout).unwrap();
    assert_eq!(report, plain, "writing the trace changes nothing in the run");
    let text = std::fs::read_to_string(&file).unwrap();
    let events: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(events.len() > 500, "{} events", events.len());
    for (k, ev) in events.iter().enumerate() {
        assert_eq!(ev["seq"].as_u64(), Some(k as u64), "every event, in order");
        assert!(ev["what"]["kind"].is_string() && ev["at_ms"].is_u64(), "{ev}");
        if let Some(cause) = ev["cause"].as_u64() {
            assert!(cause < k as u64, "a cause comes before its effect: {ev}");
        }
    }
    // What an outside checker needs: the retries and the duplicate appends they made are in it.
    let kinds = |k: &str| events.iter().filter(|ev| ev["what"]["kind"] == k).count();
    assert!(kinds("producer_retry") > 0 && kinds("appended") > 60, "{}", kinds("producer_retry"));
    let last = events.last().unwrap()["at_ms"].as_u64().unwrap();
    assert!(last <= report["end_time_ms"].as_u64().unwrap());
    assert!(
        simulate(&["scenarios/08-producer-retries.json", "--trace", "/nonexistent/dir/t.jsonl"]).status.code()
            == Some(1)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_file_with_a_byte_order_mark_is_read_and_a_closed_pipe_ends_the_run_without_a_panic() {
    let dir = scratch_dir("bom");
    let file = dir.join("bom.json");
    let json = std::fs::read_to_string("scenarios/05-duplicate-welcome-email.json").unwrap();
    std::fs::write(&file, format!("\u{feff}{json}")).unwrap();
    let out = simulate(&[file.to_str().unwrap(), "--no-trace"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The reader goes away before the report is written (`simulate … | head -c0`).
    let mut child = Command::new(env!("CARGO_BIN_EXE_simulate"))
        .args([file.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_ne!(out.status.code(), Some(101), "no panic: {}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_run_stopped_by_its_budget_prints_what_ran_and_exits_2_with_a_sentence() {
    let out = simulate(&["tests/scenarios/poison-forever.json", "--no-trace", "--max-events", "50000"]);
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["halted"]["limit"], "events");
    assert_eq!(report["events_processed"], 50_000);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("its budget of 50,000 events"), "{stderr}");
    let out = simulate(&["tests/scenarios/poison-forever.json", "--no-trace", "--max-memory-mib", "8"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("memory budget of 8 MiB"), "{stderr}");
}
