//! The demo's producer: a fictional peanut household of Xã Đức Hòa with its workshop, product,
//! a released batch grown on its field, the batch's log and a printed stamp order.

use xaso_storage::files::Files;
use xaso_storage::Store;

use crate::{Actor, Result};

/// A fictional producer of the area's known specialty, Đức Hòa peanuts (shared/reference/
/// duc-hoa-facts.md, section 2: harvested late in the 2nd or early in the 3rd lunar month; not
/// OCOP-rated in any source, so no stars here). The GTIN uses GS1's prefix 952, which GS1 keeps
/// for demonstrations and examples, so it can never name a real product.
pub(super) async fn load(
    store: &Store,
    files: &Files,
    system: &Actor,
    base_url: &str,
) -> Result<()> {
    use xaso_domain::trace::{
        BatchInput, BatchStatus, ProducerInput, ProducerStatus, ProductInput,
    };
    let producer = crate::producers::register(
        store,
        Some(system),
        "27937",
        &ProducerInput {
            kind: "household".into(),
            name: "Cơ sở đậu phộng Minh Họa (mẫu)".into(),
            address: "Ấp Bình Tả 1, Xã Đức Hòa".into(),
            representative: "Người đại diện minh họa".into(),
            description: "Cơ sở hư cấu để dùng thử nền tảng: trồng và rang đậu phộng theo mùa vụ của vùng Đức Hòa.".into(),
            ..Default::default()
        },
    )
    .await?;
    // The demo producer account manages it, as if it had registered itself.
    {
        let mut tx = store.begin().await?;
        if let Some(mut row) = xaso_storage::producers::producer(tx.conn(), &producer.id).await? {
            row.owner = Some("coso.dauphong".into());
            xaso_storage::producers::save_producer(tx.conn(), &row).await?;
        }
        tx.commit().await?;
    }
    // Its workshop as a registered place, so its stamps show a digital address and a map.
    // The producer is fictional, so the position is made up (near the commune's centre, away
    // from the relics placed there) and marked approximate.
    let unit = crate::units::by_code(store, "27937", xaso_domain::time::today_vn()).await?;
    let (lat, lng) = crate::places::centre_of(store, &unit.id)
        .await?
        .expect("demo boundaries loaded");
    let workshop = crate::places::create(
        store,
        Some(system),
        "27937",
        &xaso_domain::places::PlaceInput {
            kind: "business".into(),
            name: "Cơ sở đậu phộng Minh Họa (mẫu)".into(),
            address: "Ấp Bình Tả 1, Xã Đức Hòa".into(),
            latitude: Some(lat + 0.004),
            longitude: Some(lng + 0.003),
            approximate: true,
            ..Default::default()
        },
    )
    .await?;
    crate::producers::set_place(store, Some(system), &producer.id, &workshop.plus_code).await?;
    crate::producers::decide(
        store,
        Some(system),
        &producer.id,
        ProducerStatus::Approved,
        "",
    )
    .await?;
    let product = crate::producers::save_product(
        store,
        Some(system),
        &producer.id,
        None,
        &ProductInput {
            name: "Đậu phộng Đức Hòa rang muối (mẫu)".into(),
            category: "Nông sản chế biến".into(),
            description: "Sản phẩm minh họa: đậu phộng vỏ lụa rang muối, thu hoạch vụ cuối tháng Hai, đầu tháng Ba âm lịch.".into(),
            sale_unit: "hộp 500 g".into(),
            gtin: "9520001123450".into(),
            ..Default::default()
        },
    )
    .await?;
    let batch = crate::producers::add_batch(
        store,
        Some(system),
        &product.id,
        &BatchInput {
            lot: "DH-2026-03".into(),
            produced_on: "2026-03-20".into(),
            quantity: "500".into(),
            quantity_unit: "kg".into(),
            expires_on: "2026-12-31".into(),
            note: "Lô minh họa".into(),
            origin: String::new(),
        },
    )
    .await?;
    // Its peanuts grew on the producer's field in an (illustrative) growing area: the batch
    // names that planting, so its stamps and its harvesting event show where.
    let planting = super::agri::load(store, files, system, &producer.id, base_url).await?;
    crate::agri::farming::link_batch(store, Some(system), &batch.id, &planting).await?;
    // The batch's log as the producer would record it from a phone (illustrative).
    for (step, time, quantity, note) in [
        (
            "harvesting",
            "2026-03-20T06:30",
            "520",
            "Nhổ tay, phơi nắng trên ruộng hai ngày",
        ),
        (
            "processing",
            "2026-03-22T14:00",
            "",
            "Lựa hạt, rang muối trong chảo gang",
        ),
        (
            "packing",
            "2026-03-24T09:00",
            "500",
            "Đóng hộp 500 g, dán tem truy xuất",
        ),
    ] {
        crate::epcis::record_step(
            store,
            Some(system),
            &batch.id,
            &crate::epcis::StepInput {
                step: step.into(),
                time: time.into(),
                at_origin: false,
                quantity: quantity.into(),
                note: note.into(),
            },
            base_url,
        )
        .await?;
    }
    crate::producers::set_batch_status(store, Some(system), &batch.id, BatchStatus::Released, "")
        .await?;
    // A printed order of 100 stamps, as the producer would have made before selling. Its
    // sheet is made here, through the order's job, before the server starts.
    let order = crate::stamps::create_order(
        store,
        Some(system),
        &batch.id,
        100,
        xaso_domain::trace::LabelSize::Medium,
        base_url,
    )
    .await?;
    let lane = crate::queue::Queue::only(&[crate::jobs::STAMP_SHEET]).handle(
        crate::jobs::STAMP_SHEET,
        std::sync::Arc::new(crate::stamps::SheetJob {
            store: store.clone(),
            files: files.clone(),
            fallback_url: base_url.to_string(),
        }),
    );
    lane.run_due(store, chrono::Utc::now(), 10).await?;
    let made = crate::queue::get(store, &order.id).await?;
    if made.status != "done" {
        return Err(crate::Error::Internal(format!(
            "the demo's stamp sheet was not made: {}",
            made.last_error
        )));
    }
    Ok(())
}
