//! Plus Codes as the CLI and the API offer them.

use std::process::Command;

use xaso_testkit::TestApp;

fn xaso(args: &[&str]) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_xaso"))
        .args(args)
        .env_remove("XASO_CONFIG")
        .output()
        .expect("xaso runs");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn the_cli_encodes_decodes_shortens_recovers_and_validates() {
    assert_eq!(
        xaso(&["pluscode", "encode", "10.5356", "106.4138"]),
        (true, "7P28GCP7+6G\n".into())
    );
    assert_eq!(
        xaso(&["pluscode", "encode", "10.5356", "106.4138", "--length", "11"]),
        (true, "7P28GCP7+6GV\n".into())
    );
    // Southern and western hemispheres: negative numbers are numbers, not flags.
    assert_eq!(
        xaso(&["pluscode", "encode", "-41.2730625", "174.7859375"]).1,
        "4VCPPQGP+Q9\n"
    );
    assert_eq!(
        xaso(&[
            "pluscode",
            "shorten",
            "9C3W9QCJ+2VX",
            "51.3701125",
            "-1.217765625"
        ])
        .1,
        "+2VX\n"
    );
    let (ok, out) = xaso(&["pluscode", "decode", "7FG49QCJ+2V"]);
    assert!(ok);
    assert!(
        out.contains("latitude_lo=20.37 ") && out.contains("code_length=10"),
        "{out}"
    );
    assert_eq!(
        xaso(&["pluscode", "recover", "GCP7+6G", "10.56", "106.44"]).1,
        "7P28GCP7+6G\n"
    );
    assert_eq!(
        xaso(&["pluscode", "validate", "WC2345+G6g"]),
        (true, "valid=true short=true full=false\n".into())
    );
    // What the specification rejects fails with the reason.
    let (ok, out) = xaso(&["pluscode", "validate", "8FWC2300+G6"]);
    assert!(!ok && out.contains("valid=false"), "{out}");
    let (ok, out) = xaso(&["pluscode", "encode", "10", "106", "--length", "7"]);
    assert!(!ok && out.contains("length 7 is not allowed"), "{out}");
    let (ok, out) = xaso(&["pluscode", "decode", "GCP7+6G"]);
    assert!(!ok && out.contains("not a full Plus Code"), "{out}");
}

#[tokio::test]
async fn the_api_answers_as_the_issue_describes() {
    let app = TestApp::new().await;
    let mut c = app.visitor();
    let r = c
        .get("/api/v1/pluscode/encode?lat=10.5356&lng=106.4138")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({"code": "7P28GCP7+6G"}));
    let r = c
        .get("/api/v1/pluscode/encode?lat=10.5356&lng=106.4138&length=11")
        .await;
    assert_eq!(r.json()["code"], "7P28GCP7+6GV");
    let d = c
        .get("/api/v1/pluscode/decode?code=7FG49QCJ%2B2V")
        .await
        .json();
    for key in [
        "latitude_lo",
        "longitude_lo",
        "latitude_hi",
        "longitude_hi",
        "latitude_center",
        "longitude_center",
        "code_length",
    ] {
        assert!(d.get(key).is_some(), "{key} in {d}");
    }
    assert_eq!(d["code_length"], 10);
    assert!((d["latitude_center"].as_f64().unwrap() - 20.3700625).abs() < 1e-10);
    assert_eq!(
        c.get("/api/v1/pluscode/shorten?code=7P28GCP7%2B6G&lat=10.56&lng=106.44")
            .await
            .json()["code"],
        "GCP7+6G"
    );
    assert_eq!(
        c.get("/api/v1/pluscode/recover?code=GCP7%2B6G&lat=10.56&lng=106.44")
            .await
            .json()["code"],
        "7P28GCP7+6G"
    );
    assert_eq!(
        c.get("/api/v1/pluscode/validate?code=8FWC2345%2BG6")
            .await
            .json(),
        serde_json::json!({"valid": true, "short": false, "full": true})
    );
    // Inputs the specification rejects: 400 with a reason in the standard error shape.
    for (url, reason) in [
        (
            "/api/v1/pluscode/encode?lat=10&lng=106&length=5",
            "length 5",
        ),
        (
            "/api/v1/pluscode/encode?lat=abc&lng=106",
            "`lat` must be a number",
        ),
        ("/api/v1/pluscode/encode?lng=106", "`lat` is required"),
        (
            "/api/v1/pluscode/decode?code=GCP7%2B6G",
            "not a full Plus Code",
        ),
        (
            "/api/v1/pluscode/decode?code=8FWC2300%2BG6",
            "not a valid Plus Code",
        ),
        (
            "/api/v1/pluscode/shorten?code=7P280000%2B&lat=10&lng=106",
            "padded",
        ),
        (
            "/api/v1/pluscode/recover?code=WC2300%2B&lat=10&lng=106",
            "not a valid",
        ),
        ("/api/v1/pluscode/validate", "`code` is required"),
    ] {
        let r = c.get(url).await;
        assert_eq!(r.status, 400, "{url}: {}", r.body);
        let detail = r.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(detail.contains(reason), "{url}: {detail}");
    }
    // In the OpenAPI document.
    let doc = c.get("/api/v1/openapi.json").await.json();
    for p in ["encode", "decode", "shorten", "recover", "validate"] {
        assert!(
            doc["paths"][format!("/api/v1/pluscode/{p}")].is_object(),
            "{p}"
        );
    }
}
