//! Imports: all-or-nothing, every bad row named, re-imports update in place.

use xaso_core::units::{import_csv, ImportKind, ImportOptions};
use xaso_core::{Actor, Error};
use xaso_testkit::{chrono_date, TestApp};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../data/admin-units/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("data file")
}

fn before_reform(source: &str) -> ImportOptions {
    ImportOptions {
        valid_from: None,
        valid_to: Some(chrono_date("2025-06-30")),
        effective: chrono_date("2025-07-01"),
        province: None,
        source: source.into(),
    }
}

fn after_reform(source: &str) -> ImportOptions {
    ImportOptions {
        valid_from: Some(chrono_date("2025-07-01")),
        valid_to: None,
        ..before_reform(source)
    }
}

async fn unit_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM units")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn one_broken_row_stops_the_whole_import_and_is_named() {
    let app = TestApp::new().await;
    let mut csv = String::from_utf8(data("long-an-duc-hoa-2024.csv")).unwrap();
    csv = csv.replace(
        "27958,Đức Lập Hạ,Xã,802,commune",
        "27958,Đức Lập Hạ,Làng,802,commune",
    );
    csv = csv.replace(
        "27961,Tân Phú,Xã,802,commune",
        "2796,Tân Phú,Xã,802,commune",
    );
    csv.push_str("27999,Mồ Côi,Xã,899,commune\n");
    let err = import_csv(
        &app.store,
        &Actor::system("test"),
        csv.as_bytes(),
        &before_reform("bad.csv"),
    )
    .await
    .unwrap_err();
    let Error::Invalid(problems) = err else {
        panic!("expected invalid input")
    };
    let text: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.at, p.detail))
        .collect();
    assert!(
        text.iter()
            .any(|t| t.starts_with("line 13:") && t.contains("unknown unit type `Làng`")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("line 14:") && t.contains("not a valid commune code")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("line 24:") && t.contains("parent 899")),
        "{text:?}"
    );
    assert_eq!(unit_count(&app).await, 0, "nothing may be written");
    let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(audit, 0);
}

#[tokio::test]
async fn reimporting_updates_in_place_and_overlaps_are_refused() {
    let app = TestApp::new().await;
    let actor = Actor::system("test");
    let file = data("long-an-duc-hoa-2024.csv");
    let r = import_csv(&app.store, &actor, &file, &before_reform("a.csv"))
        .await
        .unwrap();
    assert_eq!(
        (r.kind, r.rows, r.inserted, r.updated),
        (ImportKind::Units, 22, 22, 0)
    );
    let r = import_csv(&app.store, &actor, &file, &before_reform("a.csv"))
        .await
        .unwrap();
    assert_eq!((r.inserted, r.updated), (0, 22));
    assert_eq!(unit_count(&app).await, 22);
    // The same codes for an overlapping period would make a code ambiguous.
    let overlapping = ImportOptions {
        valid_to: None,
        valid_from: Some(chrono_date("2020-01-01")),
        ..before_reform("b.csv")
    };
    let err = import_csv(&app.store, &actor, &file, &overlapping)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(p) if p[0].detail.contains("overlaps")));
    assert_eq!(unit_count(&app).await, 22);
}

#[tokio::test]
async fn a_mapping_needs_both_unit_lists_first() {
    let app = TestApp::new().await;
    let actor = Actor::system("test");
    let err = import_csv(
        &app.store,
        &actor,
        &data("duc-hoa-mapping-2025.csv"),
        &before_reform("m.csv"),
    )
    .await
    .unwrap_err();
    let Error::Invalid(problems) = err else {
        panic!()
    };
    assert!(problems[0]
        .detail
        .contains("import the old unit list first"));
    import_csv(
        &app.store,
        &actor,
        &data("long-an-duc-hoa-2024.csv"),
        &before_reform("old.csv"),
    )
    .await
    .unwrap();
    let new = ImportOptions {
        province: Some("80".into()),
        ..after_reform("new.csv")
    };
    let r = import_csv(&app.store, &actor, &data("vn-units-2025.csv"), &new)
        .await
        .unwrap();
    assert_eq!(r.rows, 97, "Tây Ninh and its 96 communes");
    let r = import_csv(
        &app.store,
        &actor,
        &data("duc-hoa-mapping-2025.csv"),
        &before_reform("m.csv"),
    )
    .await
    .unwrap();
    assert_eq!((r.kind, r.rows), (ImportKind::Mapping, 21));
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM unit_links")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(links, 21);
}

#[tokio::test]
async fn unknown_files_and_garbage_are_refused() {
    let app = TestApp::new().await;
    let actor = Actor::system("test");
    let err = import_csv(&app.store, &actor, b"a,b\n1,2\n", &before_reform("x.csv"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(p) if p[0].detail.contains("unknown header")));
    let err = import_csv(
        &app.store,
        &actor,
        b"code,name,type,parent_code,level\n80,Long An,T\xe1nh,,province\n",
        &before_reform("x.csv"),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)));
    let err = import_csv(
        &app.store,
        &actor,
        b"code,name,type,parent_code,level\n80,\"Long An,Tinh,,province\n",
        &before_reform("x.csv"),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)));
    assert_eq!(unit_count(&app).await, 0);
}

#[tokio::test]
async fn the_whole_country_imports_with_its_mapping() {
    let app = TestApp::new().await;
    let actor = Actor::system("test");
    let r = import_csv(
        &app.store,
        &actor,
        &data("vn-units-pre2025.csv"),
        &before_reform("pre.csv"),
    )
    .await
    .unwrap();
    assert_eq!(r.rows, 10_794);
    let r = import_csv(
        &app.store,
        &actor,
        &data("vn-units-2025.csv"),
        &after_reform("2025.csv"),
    )
    .await
    .unwrap();
    assert_eq!(r.rows, 3_355);
    let r = import_csv(
        &app.store,
        &actor,
        &data("vn-mapping-pre2025-to-2025.csv"),
        &before_reform("map.csv"),
    )
    .await
    .unwrap();
    assert_eq!(r.rows, 10_602);
    let mut c = app.visitor();
    let j = c.get("/api/v1/units?as_of=2026-01-01").await.json();
    assert_eq!(j["units"].as_array().unwrap().len(), 34);
    let j = c.get("/api/v1/units?as_of=2025-01-01").await.json();
    assert_eq!(j["units"].as_array().unwrap().len(), 63);
}

#[tokio::test]
async fn only_administrators_import() {
    let app = TestApp::demo().await;
    let officer = xaso_core::auth::login(
        &app.store,
        &Default::default(),
        "canbo.duchoa",
        xaso_testkit::DEMO_PASSWORD,
        "t",
    )
    .await
    .unwrap()
    .actor;
    let err = import_csv(
        &app.store,
        &officer,
        &data("long-an-duc-hoa-2024.csv"),
        &before_reform("x.csv"),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Forbidden));
}
