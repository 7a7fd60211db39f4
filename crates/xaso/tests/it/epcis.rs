//! EPCIS 2.0: capture of whole documents, refusal of bad ones, the query interface whose
//! output passes GS1's JSON Schema, the producer's phone form and the log on stamp pages; and
//! copied stamps noticed from far-apart scans.

use axum::http::Method;
use serde_json::{json, Value};
use xaso_testkit::{Client, TestApp, DEMO_PASSWORD};

/// The demo batch DH-2026-03 of GTIN 9520001123450 (released).
async fn demo_batch(app: &TestApp) -> String {
    let r = app.visitor().get("/01/9520001123450/10/DH-2026-03").await;
    r.location().to_string()
}

fn doc(events: Vec<Value>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
                     {"example": "https://ns.example.com/epcis/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-20T08:00:00.000+07:00",
        "epcisBody": {"eventList": events}
    })
}

fn harvest(class: &str, time: &str) -> Value {
    json!({
        "type": "ObjectEvent",
        "eventTime": time,
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "bizStep": "urn:xaso:bizstep:harvesting",
        "epcList": [],
        "quantityList": [{"epcClass": class, "quantity": 120.5, "uom": "KGM"}],
        "example:field": "kept as captured"
    })
}

async fn event_count(c: &mut Client, query: &str) -> usize {
    let r = c.get(&format!("/epcis/events?{query}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn captured_documents_come_back_as_query_documents_that_pass_the_epcis_schema() {
    let app = TestApp::demo().await;
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let mut visitor = app.visitor();
    let before = event_count(&mut visitor, "gtin=9520001123450").await;

    // A Digital Link on another host names the same batch (GS1 Digital Link is host-free);
    // so does the EPC class URN. A pallet's SSCC is not the platform's and is kept as it is.
    let packing = json!({
        "type": "AggregationEvent",
        "eventTime": "2026-11-21T09:30:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "parentID": "urn:epc:id:sscc:0614141.1234567890",
        "childQuantityList": [{"epcClass": "https://id.example.org/01/09520001123450/10/DH-2026-03", "quantity": 40}],
        "action": "ADD",
        "bizStep": "packing",
        "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"}
    });
    let r = producer
        .send_json(
            Method::POST,
            "/epcis/capture",
            &doc(vec![
                harvest(
                    "http://localhost/01/09520001123450/10/DH-2026-03",
                    "2026-11-20T06:00:00+07:00",
                ),
                packing,
            ]),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let capture = r.location().to_string();
    assert!(capture.starts_with("/epcis/capture/"));
    assert_eq!(r.json()["eventIDs"].as_array().unwrap().len(), 2);
    let status = producer.get(&capture).await;
    assert_eq!(status.status, 200);
    assert_eq!(status.json()["success"], true);

    // The public query by product and lot: a query document that GS1's schema accepts.
    let r = visitor
        .get("/epcis/events?gtin=9520001123450&lot=DH-2026-03")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["gs1-epcis-version"], "2.0.0");
    let out = r.json();
    let problems = xaso_core::epcis::schema_problems(&out);
    assert!(problems.is_empty(), "{problems:?}\n{out:#}");
    assert_eq!(out["type"], "EPCISQueryDocument");
    let list = out["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap();
    assert_eq!(list.len(), before + 2);
    // In time order, with eventID and recordTime filled in, extensions kept, and the
    // extension's context carried into the query document.
    let harvest_out = list
        .iter()
        .find(|e| e["example:field"] == "kept as captured")
        .expect("the harvest event");
    assert!(harvest_out["eventID"]
        .as_str()
        .unwrap()
        .starts_with("urn:uuid:"));
    assert!(harvest_out["recordTime"].as_str().is_some());
    assert!(out["@context"]
        .as_array()
        .unwrap()
        .contains(&json!({"example": "https://ns.example.com/epcis/"})));
    let times: Vec<&str> = list
        .iter()
        .map(|e| e["eventTime"].as_str().unwrap())
        .collect();
    let harvest_at = times
        .iter()
        .position(|t| *t == "2026-11-20T06:00:00+07:00")
        .unwrap();
    let packing_at = times
        .iter()
        .position(|t| *t == "2026-11-21T09:30:00+07:00")
        .unwrap();
    assert!(harvest_at < packing_at);

    // Filters: time window, step, event type, any EPC class; a serial finds its batch.
    assert_eq!(
        event_count(
            &mut visitor,
            "gtin=9520001123450&GE_eventTime=2026-11-21T00:00:00%2B07:00&LT_eventTime=2026-11-22T00:00:00%2B07:00"
        )
        .await,
        1
    );
    assert_eq!(
        event_count(&mut visitor, "gtin=9520001123450&EQ_bizStep=harvesting").await,
        list.iter()
            .filter(|e| e["bizStep"] == "urn:xaso:bizstep:harvesting")
            .count()
    );
    assert_eq!(
        event_count(&mut visitor, "eventType=AggregationEvent").await,
        1
    );
    assert_eq!(
        event_count(
            &mut visitor,
            "MATCH_anyEPCClass=urn:epc:class:lgtin:952000.0112345.DH-2026-03"
        )
        .await,
        before + 2,
        "the EPC URN of the same lot (company prefix 952000, item reference 0112345)"
    );
    assert_eq!(
        event_count(&mut visitor, "gtin=9520001123450&lot=OTHER").await,
        0
    );
    let r = visitor.get("/epcis/events?colour=blue").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["type"], "epcisException:QueryParameterException");
    let r = visitor.get("/epcis/events?GE_eventTime=yesterday").await;
    assert_eq!(r.status, 400);

    // The log shows on the batch page and on every stamp's page.
    let batch = demo_batch(&app).await;
    let page = visitor.get(&batch).await.body;
    assert!(
        page.contains("Nhật ký sản xuất") && page.contains("Thu hoạch"),
        "{page}"
    );
    assert!(page.contains("Đóng gói") && page.contains("20/11/2026 06:00"));
}

#[tokio::test]
async fn bad_documents_are_refused_whole_with_reasons() {
    let app = TestApp::demo().await;
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let mut visitor = app.visitor();
    let before = event_count(&mut visitor, "gtin=9520001123450").await;
    let good = harvest(
        "http://localhost/01/09520001123450/10/DH-2026-03",
        "2026-11-20T06:00:00+07:00",
    );

    // Schema: an event without its time zone offset; the problem names the event.
    let mut no_offset = good.clone();
    no_offset
        .as_object_mut()
        .unwrap()
        .remove("eventTimeZoneOffset");
    let r = producer
        .send_json(
            Method::POST,
            "/epcis/capture",
            &doc(vec![good.clone(), no_offset]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let body = r.json();
    assert_eq!(body["type"], "epcisException:ValidationException");
    assert!(body["errors"].as_array().unwrap().iter().any(|e| e["at"]
        .as_str()
        .unwrap()
        .starts_with("/epcisBody/eventList/1")));
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("eventTimeZoneOffset"));

    // The platform's checks: a lot that does not exist, a product with no lot, a future time.
    for (bad, why) in [
        (
            harvest(
                "http://localhost/01/09520001123450/10/NO-SUCH-LOT",
                "2026-11-20T06:00:00+07:00",
            ),
            "names no batch",
        ),
        (
            harvest(
                "http://localhost/01/09520001123450",
                "2026-11-20T06:00:00+07:00",
            ),
            "names no batch",
        ),
        (
            harvest(
                "http://localhost/01/09520001123450/10/DH-2026-03",
                "2099-01-01T06:00:00+07:00",
            ),
            "future",
        ),
        (
            harvest(
                "urn:epc:class:lgtin:0614141.012345.LOT1",
                "2026-11-20T06:00:00+07:00",
            ),
            "no batch or stamp of this platform",
        ),
    ] {
        let r = producer
            .send_json(
                Method::POST,
                "/epcis/capture",
                &doc(vec![good.clone(), bad]),
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains(why), "{why}: {}", r.body);
    }
    // Not JSON at all; not an EPCISDocument.
    let r = producer.send_bytes("/epcis/capture", b"<xml/>").await;
    assert_eq!(r.status, 400);
    let r = producer
        .send_json(
            Method::POST,
            "/epcis/capture",
            &json!({"type": "ObjectEvent"}),
        )
        .await;
    assert_eq!(r.status, 400);

    // Another producer may not write this batch's log; visitors may not capture at all.
    let mut other = app.signed_in("coso.suongsam", DEMO_PASSWORD).await;
    let r = other
        .send_json(Method::POST, "/epcis/capture", &doc(vec![good.clone()]))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("may record events for"), "{}", r.body);
    let r = visitor
        .send_json(Method::POST, "/epcis/capture", &doc(vec![good.clone()]))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["type"], "epcisException:SecurityException");

    // Nothing of any refused document was kept; the same eventID cannot be captured twice.
    assert_eq!(
        event_count(&mut visitor, "gtin=9520001123450").await,
        before
    );
    let mut with_id = good.clone();
    with_id["eventID"] = json!("ni:///sha-256;abc?ver=CBV2.0");
    let r = producer
        .send_json(Method::POST, "/epcis/capture", &doc(vec![with_id.clone()]))
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let r = producer
        .send_json(Method::POST, "/epcis/capture", &doc(vec![with_id]))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("captured before"));
}

#[tokio::test]
async fn a_producer_records_steps_from_the_batch_page_and_buyers_read_them_on_the_stamp() {
    let app = TestApp::demo().await;
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let batch = demo_batch(&app).await;
    let page = producer.get(&batch).await.body;
    assert!(page.contains("Ghi một bước") && page.contains(r#"type="datetime-local""#));
    let packing_before =
        event_count(&mut app.visitor(), "gtin=9520001123450&EQ_bizStep=packing").await;

    let r = producer
        .post_form(
            &format!("{batch}/events"),
            &[
                ("step", "processing"),
                ("time", "2026-11-22T14:15"),
                ("quantity", "95,5"),
                ("note", "Rang muối bằng chảo gang, đóng túi 500 g"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location().ends_with("?logged=1#events"));
    let page = producer.get(r.location()).await.body;
    assert!(page.contains("Đã ghi bước vào nhật ký."));

    // What was written is an EPCIS event like any other, with its quantity in kilograms.
    let mut visitor = app.visitor();
    let r = visitor
        .get("/epcis/events?gtin=9520001123450&EQ_bizStep=processing")
        .await;
    let out = r.json();
    assert!(xaso_core::epcis::schema_problems(&out).is_empty());
    let e = out["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["eventTime"] == "2026-11-22T14:15:00+07:00")
        .expect("the step just recorded")
        .clone();
    assert_eq!(e["bizStep"], "urn:xaso:bizstep:processing");
    assert_eq!(e["eventTime"], "2026-11-22T14:15:00+07:00");
    assert_eq!(e["quantityList"][0]["quantity"], 95.5);
    assert_eq!(e["quantityList"][0]["uom"], "KGM");

    // A buyer scanning a stamp of the batch reads the step.
    let codes = app.demo_stamp_codes().await;
    let stamp = visitor
        .get(&format!("/01/09520001123450/10/DH-2026-03/21/{}", codes[0]))
        .await
        .body;
    assert!(stamp.contains("Sơ chế, chế biến") && stamp.contains("22/11/2026 14:15"));
    assert!(stamp.contains("Rang muối bằng chảo gang"));

    // Mistakes come back in Vietnamese and record nothing.
    let r = producer
        .post_form(
            &format!("{batch}/events"),
            &[("step", "dancing"), ("time", "2099-01-01T00:00")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Chọn một bước."));
    let r = producer
        .post_form(
            &format!("{batch}/events"),
            &[("step", "packing"), ("time", "2099-01-01T00:00")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("không được ở tương lai"));
    // Someone else's batch: refused.
    let mut other = app.signed_in("coso.suongsam", DEMO_PASSWORD).await;
    let r = other
        .post_form(
            &format!("{batch}/events"),
            &[("step", "packing"), ("time", "2026-11-22T10:00")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        event_count(&mut visitor, "gtin=9520001123450&EQ_bizStep=packing").await,
        packing_before
    );
}

#[tokio::test]
async fn a_stamp_scanned_in_two_distant_places_warns_of_a_copy() {
    let app = TestApp::demo().await;
    let codes = app.demo_stamp_codes().await;
    let page = |c: &str| format!("/01/09520001123450/10/DH-2026-03/21/{c}");
    let mut buyer = app.visitor();

    // Two buyers in Đức Hòa, a few kilometres apart: nothing to worry about.
    let r = buyer
        .post_form(
            &format!("/s/{}/where", codes[0]),
            &[("lat", "10.8812"), ("lng", "106.4247")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["far_apart_km"], Value::Null);
    buyer
        .post_form(
            &format!("/s/{}/where", codes[0]),
            &[("lat", "10.8601"), ("lng", "106.4598")],
        )
        .await;
    let body = buyer.get(&page(&codes[0])).await.body;
    assert!(body.contains("Tem hợp lệ"), "{body}");

    // The same stamp scanned in Hà Nội the same day: a copy is in use.
    let r = buyer
        .post_form(
            &format!("/s/{}/where", codes[0]),
            &[("lat", "21.0285"), ("lng", "105.8542")],
        )
        .await;
    let km = r.json()["far_apart_km"].as_i64().unwrap();
    assert!((1100..1250).contains(&km), "{km}");
    let body = buyer.get(&page(&codes[0])).await.body;
    assert!(body.contains("cách nhau rất xa"), "{body}");
    assert!(!body.contains("Tem hợp lệ"));
    // Other stamps of the batch are not affected.
    assert!(buyer
        .get(&page(&codes[1]))
        .await
        .body
        .contains("Tem hợp lệ"));

    // Nonsense and unknown stamps.
    let r = buyer
        .post_form(
            &format!("/s/{}/where", codes[1]),
            &[("lat", "123"), ("lng", "0")],
        )
        .await;
    assert_eq!(r.status, 422);
    let r = buyer
        .post_form("/s/ABCDEFGHJKMNP/where", &[("lat", "10"), ("lng", "106")])
        .await;
    assert_eq!(r.status, 404);
    // Only the rounded position is kept, nothing about the buyer.
    let mut conn = app.store.read().await.unwrap();
    let places = xaso_storage::epcis::scan_places(&mut conn, &codes[0], "2000-01-01")
        .await
        .unwrap();
    assert_eq!(places.len(), 3);
    assert!(places.iter().any(|p| p.1 == 21.03 && p.2 == 105.85));
}

#[tokio::test]
async fn a_stamp_page_shows_the_latest_steps_and_links_to_the_whole_log() {
    let app = TestApp::demo().await;
    let mut producer = app.signed_in("coso.dauphong", DEMO_PASSWORD).await;
    let batch = demo_batch(&app).await;
    // Ten shipments, one a day, after the demo's three steps.
    for day in 10..20 {
        let r = producer
            .post_form(
                &format!("{batch}/events"),
                &[
                    ("step", "shipping"),
                    ("time", &format!("2026-11-{day}T08:00")),
                    ("note", &format!("Chuyến hàng ngày {day}")),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let codes = app.demo_stamp_codes().await;
    let mut visitor = app.visitor();
    let stamp = visitor
        .get(&format!("/01/09520001123450/10/DH-2026-03/21/{}", codes[0]))
        .await
        .body;
    let steps = stamp.matches("<li><strong>").count();
    assert_eq!(
        steps,
        xaso_core::epcis::STAMP_PAGE_STEPS as usize,
        "{stamp}"
    );
    assert!(stamp.contains("Chuyến hàng ngày 19") && !stamp.contains("Chuyến hàng ngày 13"));
    assert!(stamp.contains("6 bước gần nhất trong 13 bước."), "{stamp}");
    let batch_id = batch.rsplit('/').next().unwrap();
    assert!(stamp.contains(&format!("href=\"/batches/{batch_id}#events\"")));
    // The batch's page has them all, oldest first.
    let page = visitor.get(&batch).await.body;
    assert!(page.contains("Chuyến hàng ngày 10") && page.contains("Chuyến hàng ngày 19"));
    assert!(!page.contains("bước gần nhất trong"));
    assert!(page.find("Chuyến hàng ngày 10") < page.find("Chuyến hàng ngày 19"));
}
