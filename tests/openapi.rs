//! `/api/openapi.json` describes the API, and real responses validate against it.

mod common;

use common::{fresh_db, paper};
use serde_json::Value;

async fn get(addr: std::net::SocketAddr, target: &str) -> (u16, Value) {
    let r = common::get(addr, target.as_bytes()).await;
    (r.status, r.json())
}

/// Validates `instance` against `#/components/schemas/{name}` of the document.
fn assert_valid(doc: &Value, name: &str, instance: &Value) {
    let mut schema = doc.clone();
    schema["$ref"] = Value::String(format!("#/components/schemas/{name}"));
    let validator =
        jsonschema::draft202012::new(&schema).expect("the document compiles as JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}\n{instance}");
}

/// Every `$ref` under `node` names a schema the document defines.
fn every_ref_resolves(doc: &Value, node: &Value) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                let name = target
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("a $ref outside the schemas: {target}"));
                assert!(
                    doc["components"]["schemas"][name].is_object(),
                    "{target} is referenced but not defined"
                );
            }
            map.values().for_each(|v| every_ref_resolves(doc, v));
        }
        Value::Array(items) => items.iter().for_each(|v| every_ref_resolves(doc, v)),
        _ => {}
    }
}

/// PyPI's openapi-spec-validator accepts the document (`.ci/run` installs it; outside CI
/// the check is skipped with a note when it is missing).
fn standard_validator_accepts(doc: &Value) {
    if !common::python_module("openapi_spec_validator", "openapi-spec-validator") {
        return;
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(doc).unwrap()).unwrap();
    let out = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator refuses the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn real_responses_validate_against_the_openapi_document() {
    let db = fresh_db("sqlite").await;
    let mut papers: Vec<_> = (0..25).map(paper).collect();
    papers[3].doi = Some("10.1000/x".into());
    papers[4].published = None;
    let (addr, services) = common::serve(&db, &papers).await;

    let (status, doc) = get(addr, "/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/api/search",
        "/api/papers/{id}",
        "/api/categories",
        "/api/sync",
        "/api/similar",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} is described");
    }
    every_ref_resolves(&doc, &doc);
    for op in doc["paths"].as_object().unwrap().values().flat_map(|item| {
        item.as_object()
            .unwrap()
            .values()
            .cloned()
            .collect::<Vec<_>>()
    }) {
        for tag in op["tags"].as_array().into_iter().flatten() {
            assert!(
                !tag.as_str().unwrap().contains("::"),
                "a module path as a tag: {tag}"
            );
        }
        for param in op["parameters"].as_array().into_iter().flatten() {
            if matches!(param["name"].as_str(), Some("limit" | "page")) {
                let minimum = param["schema"]["minimum"].as_u64();
                assert_eq!(minimum, Some(1), "{param}");
            }
        }
    }
    standard_validator_accepts(&doc);
    let params: Vec<&str> = doc["paths"]["/api/search"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        params,
        [
            "q", "page", "limit", "sort", "category", "venue", "track", "from", "to", "rerank"
        ]
    );

    let cases = [
        ("/api/search?q=graph+neural&limit=5", 200, "ApiResults"),
        (
            "/api/search?q=%22protein+folding%22&sort=newest&category=cs.LG",
            200,
            "ApiResults",
        ),
        ("/api/search?q=nothing+matches+zzzz", 200, "ApiResults"),
        ("/api/search?q=2401.00003", 200, "ApiResults"),
        ("/api/search?q=x&limit=1000", 400, "ErrorBody"),
        ("/api/search?q=x&page=-1", 400, "ErrorBody"),
        ("/api/papers/2401.00003", 200, "ApiPaper"),
        ("/api/papers/2401.00004", 200, "ApiPaper"),
        ("/api/papers/9999.99999", 404, "ErrorBody"),
        ("/api/categories", 200, "Categories"),
        ("/api/similar?id=2401.00003", 503, "ErrorBody"),
    ];
    for (target, want, schema) in cases {
        let (status, body) = get(addr, target).await;
        assert_eq!(status, want, "{target}: {body}");
        assert_valid(&doc, schema, &body);
    }
    // The sync status, before any run and after one.
    let (_, body) = get(addr, "/api/sync").await;
    assert!(body["last"].is_null(), "{body}");
    assert_valid(&doc, "Sync", &body);
    let ran = papers::ingest::daily::SyncStatus {
        started: Some("2026-11-28T06:00:00Z".into()),
        finished: Some("2026-11-28T06:01:10Z".into()),
        records: 812,
        announced: vec![papers::ingest::daily::Announced {
            category: "cs.CL".into(),
            day: papers::domain::Date::new(2026, 11, 27),
            papers: 301,
            fetched: 4,
        }],
        errors: vec!["RSS cs.CV: timed out".into()],
        next_run: Some("2026-11-28T07:01:10Z".into()),
        ..Default::default()
    };
    ran.save(services.store.as_ref()).await.unwrap();
    let (_, body) = get(addr, "/api/sync").await;
    assert_eq!(body["last"]["records"], 812);
    assert_valid(&doc, "Sync", &body);

    // The validator does reject what breaks the document.
    let (_, mut body) = get(addr, "/api/search?q=graph").await;
    body["hits"][0]["score"] = Value::String("high".into());
    let mut schema = doc.clone();
    schema["$ref"] = Value::String("#/components/schemas/ApiResults".into());
    assert!(
        !jsonschema::draft202012::new(&schema)
            .unwrap()
            .is_valid(&body)
    );
}

/// Schemathesis (PyPI) generates requests for every operation of the document (examples,
/// boundary cases, fuzzing, stateful sequences) and runs all its checks on the answers: no
/// server error, documented statuses, content types and headers, response bodies that match
/// their schemas, schema-valid requests accepted and invalid ones rejected. Zero failures
/// (tests/schemathesis.toml lists the statuses a schema cannot rule out, and why).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_find_no_failure() {
    if !common::python_module("schemathesis", "schemathesis") {
        return;
    }
    const TOKEN: &str = "schemathesis-admin-token";
    let db = fresh_db("sqlite").await;
    let services = papers::services::Services::open(&db.global())
        .await
        .unwrap();
    let papers: Vec<_> = (0..25).map(paper).collect();
    services.store.upsert_batch(&papers).await.unwrap();
    services.catch_up().await.unwrap();
    let state = papers::web::AppState::new(services.store.clone(), services.index.clone())
        .with_admin_token(Some(TOKEN.into()));
    let addr = common::serve_state(state).await;
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml");
    // schemathesis keeps a cache (.schemathesis/) where it runs: in the test's own directory.
    let scratch = db.dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("schemathesis")
            .current_dir(scratch)
            .args(["--config-file", config, "run"])
            .arg(format!("http://{addr}/api/openapi.json"))
            .args(["--checks", "all", "--max-examples", "40", "--seed", "1"])
            // One worker: CPython 3.11 can fail hypothesis' parsing of its own lambdas when two
            // threads parse at once ("AST constructor recursion depth mismatch"), a tool error
            // that says nothing about the API.
            .args(["--workers", "1", "--no-color", "--header"])
            .arg(format!("Authorization: Bearer {TOKEN}"))
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every operation of the document was tested, none skipped.
    let count = |label: &str| {
        let line = report.lines().find(|l| l.trim_start().starts_with(label));
        let value = line.and_then(|l| l.split(':').nth(1)).unwrap_or_default();
        value
            .trim()
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let selected = count("Selected:");
    assert!(!selected.is_empty(), "{report}");
    assert_eq!(count("Tested:"), selected, "{report}");
}
