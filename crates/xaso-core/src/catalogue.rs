//! What a product shows and sells with: photos (re-encoded on the server), certifications
//! (VietGAP, organic …) with their documents and validity, its listings on Postmart and Voso,
//! the public catalogue of an area's approved products, and the listing exports (xlsx, CSV)
//! sellers copy into the marketplaces' seller channels.
//!
//! The marketplaces publish no listing template or seller API (shared/reference/integrations.md
//! §2.1–2.2, §5), so the export's columns are the label content Vietnamese law requires of any
//! online listing (Decree 43/2017, Decree 85/2021) plus what every marketplace asks of a
//! product: price, unit, weight, photos. [`FIELDS`] documents each column.

use chrono::NaiveDate;
use serde_json::json;
use xaso_domain::units::Unit;
use xaso_storage::catalogue::{self as db, CertificationRow, ListingRow, PhotoRow};
use xaso_storage::files::Files;
use xaso_storage::Store;

use crate::error::Problem;
use crate::producers::{self, Producer, Product};
use crate::{Actor, Error, Result};

/// Photos per product, at most.
pub const MAX_PHOTOS: usize = 8;
/// Largest photo or certificate file accepted.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// The product, its producer and whether the actor may change them; refuses others.
async fn writable(
    store: &Store,
    actor: Option<&Actor>,
    product_id: &str,
) -> Result<(Product, Producer, Actor)> {
    let actor_ref = actor.ok_or(Error::Unauthenticated)?;
    let (product, producer, rights) = producers::product(store, actor, product_id).await?;
    if !rights.write {
        return Err(Error::Forbidden);
    }
    Ok((product, producer, actor_ref.clone()))
}

/// A product's photos, in order.
pub async fn photos(store: &Store, product_id: &str) -> Result<Vec<PhotoRow>> {
    let mut conn = store.read().await?;
    Ok(db::photos_of(&mut conn, product_id).await?)
}

/// Adds a photo to a product (its producer or the commune): scaled to 1600 px, camera data
/// and position dropped, with a 480 px thumbnail.
pub async fn add_photo(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    product_id: &str,
    bytes: Vec<u8>,
) -> Result<String> {
    let (_, producer, actor) = writable(store, actor, product_id).await?;
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Error::invalid("photo", "the photo is larger than 20 MB"));
    }
    let existing = photos(store, product_id).await?;
    if existing.len() >= MAX_PHOTOS {
        return Err(Error::invalid(
            "photo",
            "a product has at most 8 photos; remove one first",
        ));
    }
    let processed = tokio::task::spawn_blocking(move || crate::heritage::process_photo(&bytes))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    let id = xaso_storage::new_id();
    let (width, height) = (processed.width as i64, processed.height as i64);
    let (object_key, thumb_key) =
        crate::heritage::put_photo(files, &format!("products/{product_id}"), &id, processed)
            .await?;
    let row = PhotoRow {
        id: id.clone(),
        product_id: product_id.into(),
        object_key,
        thumb_key,
        width,
        height,
        position: existing.iter().map(|p| p.position).max().unwrap_or(0) + 1,
        uploaded_by: actor.username.clone(),
        uploaded_at: xaso_storage::now(),
    };
    let mut tx = store.begin().await?;
    db::insert_photo(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "product_photo",
            record_id: &id,
            unit_id: Some(&producer.commune.id),
            before: None,
            after: Some(json!({"product": product_id, "width": row.width, "height": row.height})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes a photo; returns its product's id.
pub async fn remove_photo(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    photo_id: &str,
) -> Result<String> {
    let row = {
        let mut conn = store.read().await?;
        db::photo(&mut conn, photo_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let (_, producer, actor) = writable(store, actor, &row.product_id).await?;
    let mut tx = store.begin().await?;
    db::delete_photo(tx.conn(), photo_id).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "delete",
            record_type: "product_photo",
            record_id: photo_id,
            unit_id: Some(&producer.commune.id),
            before: Some(json!({"product": row.product_id})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    for key in [&row.object_key, &row.thumb_key] {
        if let Err(e) = files.delete(key).await {
            tracing::warn!(error = %e, key = %key, "photo file left behind");
        }
    }
    Ok(row.product_id)
}

/// A photo's JPEG (or thumbnail), for whoever may see the product.
pub async fn photo_file(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    photo_id: &str,
    thumb: bool,
) -> Result<Vec<u8>> {
    let row = {
        let mut conn = store.read().await?;
        db::photo(&mut conn, photo_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    producers::product(store, actor, &row.product_id).await?;
    let key = if thumb {
        &row.thumb_key
    } else {
        &row.object_key
    };
    files
        .get(key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Kinds of certification a farm product carries in Vietnam.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    VietGap,
    GlobalGap,
    Organic,
    FoodSafety,
    Haccp,
    Iso22000,
    Other,
}

impl CertKind {
    pub const ALL: [CertKind; 7] = [
        CertKind::VietGap,
        CertKind::GlobalGap,
        CertKind::Organic,
        CertKind::FoodSafety,
        CertKind::Haccp,
        CertKind::Iso22000,
        CertKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CertKind::VietGap => "vietgap",
            CertKind::GlobalGap => "globalgap",
            CertKind::Organic => "organic",
            CertKind::FoodSafety => "food_safety",
            CertKind::Haccp => "haccp",
            CertKind::Iso22000 => "iso22000",
            CertKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<CertKind> {
        CertKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A certification as pages show it.
#[derive(Debug, Clone)]
pub struct Certification {
    pub id: String,
    pub product_id: String,
    pub kind: CertKind,
    pub number: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub has_file: bool,
    pub file_name: String,
}

impl Certification {
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.issued_on <= day && self.expires_on.is_none_or(|e| day <= e)
    }

    pub fn valid_today(&self) -> bool {
        self.valid_on(xaso_domain::time::today_vn())
    }
}

fn to_cert(r: CertificationRow) -> Certification {
    let date = |s: &str| xaso_domain::time::parse_date(s);
    Certification {
        kind: CertKind::parse(&r.kind).unwrap_or(CertKind::Other),
        issued_on: date(&r.issued_on).unwrap_or_default(),
        expires_on: r.expires_on.as_deref().and_then(date),
        has_file: r.object_key.is_some(),
        id: r.id,
        product_id: r.product_id,
        number: r.number,
        issuer: r.issuer,
        file_name: r.file_name,
    }
}

/// A product's certifications, newest first.
pub async fn certifications(store: &Store, product_id: &str) -> Result<Vec<Certification>> {
    let mut conn = store.read().await?;
    Ok(db::certifications_of(&mut conn, product_id)
        .await?
        .into_iter()
        .map(to_cert)
        .collect())
}

/// What the certification form gives.
#[derive(Debug, Clone, Default)]
pub struct CertInput {
    pub kind: String,
    pub number: String,
    pub issuer: String,
    pub issued_on: String,
    pub expires_on: String,
}

/// A document uploaded with a form.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The certificate's scan: a PDF or a picture, told by its first bytes (not by its name).
pub(crate) fn document_type(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else {
        None
    }
}

/// Adds a certification with its document (optional) to a product.
pub async fn add_certification(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    product_id: &str,
    input: &CertInput,
    file: Option<Upload>,
) -> Result<Certification> {
    let (_, producer, actor) = writable(store, actor, product_id).await?;
    let mut problems = Vec::new();
    let kind = CertKind::parse(&input.kind);
    if kind.is_none() {
        problems.push(Problem::new("kind", "choose the kind of certification"));
    }
    let number = xaso_domain::text::clean(&input.number);
    if number.is_empty() || number.chars().count() > 100 {
        problems.push(Problem::new(
            "number",
            "the certificate's number (100 characters at most)",
        ));
    }
    let issuer = xaso_domain::text::clean(&input.issuer);
    if issuer.is_empty() || issuer.chars().count() > 200 {
        problems.push(Problem::new(
            "issuer",
            "who issued it (200 characters at most)",
        ));
    }
    let issued_on = xaso_domain::time::parse_date(&input.issued_on);
    if issued_on.is_none() {
        problems.push(Problem::new("issued_on", "the date of issue"));
    }
    let expires_on = match input.expires_on.trim() {
        "" => None,
        s => match xaso_domain::time::parse_date(s) {
            Some(d) if issued_on.is_none_or(|i| d > i) => Some(d),
            _ => {
                problems.push(Problem::new(
                    "expires_on",
                    "an expiry date after the date of issue",
                ));
                None
            }
        },
    };
    let doc = match &file {
        Some(f) if f.bytes.len() > MAX_UPLOAD_BYTES => {
            problems.push(Problem::new("file", "the document is larger than 20 MB"));
            None
        }
        Some(f) => match document_type(&f.bytes) {
            Some(t) => Some(t),
            None => {
                problems.push(Problem::new(
                    "file",
                    "the document must be a PDF, JPEG or PNG",
                ));
                None
            }
        },
        None => None,
    };
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let id = xaso_storage::new_id();
    let (object_key, file_name, file_type) = match (file, doc) {
        (Some(f), Some((mime, ext))) => {
            let key = format!("certifications/{product_id}/{id}.{ext}");
            files
                .put(&key, f.bytes)
                .await
                .map_err(|e| Error::Internal(e.to_string()))?;
            let name: String = f
                .name
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect();
            (Some(key), name, mime.to_string())
        }
        _ => (None, String::new(), String::new()),
    };
    let row = CertificationRow {
        id: id.clone(),
        product_id: product_id.into(),
        kind: kind.expect("checked").as_str().into(),
        number,
        issuer,
        issued_on: issued_on.expect("checked").to_string(),
        expires_on: expires_on.map(|d| d.to_string()),
        object_key,
        file_name,
        file_type,
        created_by: actor.username.clone(),
        created_at: xaso_storage::now(),
    };
    let mut tx = store.begin().await?;
    db::insert_certification(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "create",
            record_type: "certification",
            record_id: &id,
            unit_id: Some(&producer.commune.id),
            before: None,
            after: Some(
                json!({"product": product_id, "kind": row.kind, "number": row.number,
                "issuer": row.issuer, "issued_on": row.issued_on, "expires_on": row.expires_on,
                "file": row.file_name}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(to_cert(row))
}

/// Removes a certification; returns its product's id.
pub async fn remove_certification(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
) -> Result<String> {
    let row = {
        let mut conn = store.read().await?;
        db::certification(&mut conn, id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let (_, producer, actor) = writable(store, actor, &row.product_id).await?;
    let mut tx = store.begin().await?;
    db::delete_certification(tx.conn(), id).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "delete",
            record_type: "certification",
            record_id: id,
            unit_id: Some(&producer.commune.id),
            before: Some(
                json!({"product": row.product_id, "kind": row.kind, "number": row.number}),
            ),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    if let Some(key) = &row.object_key {
        if let Err(e) = files.delete(key).await {
            tracing::warn!(error = %e, key = %key, "certificate file left behind");
        }
    }
    Ok(row.product_id)
}

/// A certificate's document: (bytes, content type, file name), for whoever may see the product.
pub async fn certification_file(
    store: &Store,
    files: &Files,
    actor: Option<&Actor>,
    id: &str,
) -> Result<(Vec<u8>, String, String)> {
    let row = {
        let mut conn = store.read().await?;
        db::certification(&mut conn, id)
            .await?
            .ok_or(Error::NotFound)?
    };
    producers::product(store, actor, &row.product_id).await?;
    let key = row.object_key.ok_or(Error::NotFound)?;
    let bytes = files
        .get(&key)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok((bytes, row.file_type, row.file_name))
}

/// The marketplaces the platform prepares listings for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marketplace {
    Postmart,
    Voso,
}

impl Marketplace {
    pub const ALL: [Marketplace; 2] = [Marketplace::Postmart, Marketplace::Voso];

    pub fn as_str(self) -> &'static str {
        match self {
            Marketplace::Postmart => "postmart",
            Marketplace::Voso => "voso",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Marketplace::Postmart => "Postmart",
            Marketplace::Voso => "Voso",
        }
    }

    pub fn parse(s: &str) -> Option<Marketplace> {
        Marketplace::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The host a listing's address must be on.
    fn hosts(self) -> &'static [&'static str] {
        match self {
            Marketplace::Postmart => &["postmart.vn"],
            Marketplace::Voso => &["voso.vn"],
        }
    }
}

/// Where a listing stands.
pub const LISTING_STATUSES: [&str; 4] = ["preparing", "submitted", "live", "paused"];

/// A product's listing on one marketplace.
#[derive(Debug, Clone)]
pub struct Listing {
    pub marketplace: Marketplace,
    pub status: String,
    pub url: String,
    pub price_vnd: Option<i64>,
    pub weight_g: Option<i64>,
    pub ingredients: String,
    pub storage: String,
    pub shelf_life: String,
    pub updated_by: String,
    pub updated_at: String,
}

fn to_listing(r: ListingRow) -> Option<Listing> {
    Some(Listing {
        marketplace: Marketplace::parse(&r.marketplace)?,
        status: r.status,
        url: r.url,
        price_vnd: r.price_vnd,
        weight_g: r.weight_g,
        ingredients: r.ingredients,
        storage: r.storage,
        shelf_life: r.shelf_life,
        updated_by: r.updated_by,
        updated_at: r.updated_at,
    })
}

/// A product's listings.
pub async fn listings(store: &Store, product_id: &str) -> Result<Vec<Listing>> {
    let mut conn = store.read().await?;
    Ok(db::listings_of(&mut conn, product_id)
        .await?
        .into_iter()
        .filter_map(to_listing)
        .collect())
}

/// What the listing form gives.
#[derive(Debug, Clone, Default)]
pub struct ListingInput {
    pub status: String,
    pub url: String,
    pub price_vnd: String,
    pub weight_g: String,
    pub ingredients: String,
    pub storage: String,
    pub shelf_life: String,
}

fn whole(at: &'static str, s: &str, max: i64, problems: &mut Vec<Problem>) -> Option<i64> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' '))
        .collect();
    if digits.is_empty() {
        return None;
    }
    match digits.parse::<i64>() {
        Ok(v) if v > 0 && v <= max => Some(v),
        _ => {
            problems.push(Problem::new(at, format!("a whole number from 1 to {max}")));
            None
        }
    }
}

/// Records a product's listing on a marketplace (its producer or the commune).
pub async fn save_listing(
    store: &Store,
    actor: Option<&Actor>,
    product_id: &str,
    marketplace: Marketplace,
    input: &ListingInput,
) -> Result<Listing> {
    let (_, producer, actor) = writable(store, actor, product_id).await?;
    let mut problems = Vec::new();
    if !LISTING_STATUSES.contains(&input.status.as_str()) {
        problems.push(Problem::new("status", "choose where the listing stands"));
    }
    let url = input.url.trim().to_string();
    if !url.is_empty() {
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .and_then(|r| r.split(['/', '?', '#']).next())
            .map(|h| h.to_ascii_lowercase());
        let ok = host.as_deref().is_some_and(|h| {
            marketplace
                .hosts()
                .iter()
                .any(|m| h == *m || h.ends_with(&format!(".{m}")))
        });
        if !ok || url.len() > 500 {
            problems.push(Problem::new(
                "url",
                format!("the listing's address on {}", marketplace.hosts()[0]),
            ));
        }
    }
    if input.status == "live" && url.is_empty() {
        problems.push(Problem::new("url", "a live listing needs its address"));
    }
    let price_vnd = whole("price_vnd", &input.price_vnd, 1_000_000_000, &mut problems);
    let weight_g = whole("weight_g", &input.weight_g, 1_000_000, &mut problems);
    let clean = |s: &str| {
        xaso_domain::text::clean(s)
            .chars()
            .take(1000)
            .collect::<String>()
    };
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let row = ListingRow {
        id: xaso_storage::new_id(),
        product_id: product_id.into(),
        marketplace: marketplace.as_str().into(),
        status: input.status.clone(),
        url,
        price_vnd,
        weight_g,
        ingredients: clean(&input.ingredients),
        storage: clean(&input.storage),
        shelf_life: clean(&input.shelf_life),
        updated_by: actor.username.clone(),
        updated_at: xaso_storage::now(),
    };
    let mut tx = store.begin().await?;
    db::save_listing(tx.conn(), &row).await?;
    crate::audit::record(
        &mut tx,
        &actor,
        crate::audit::Change {
            action: "update",
            record_type: "listing",
            record_id: &format!("{product_id}/{}", row.marketplace),
            unit_id: Some(&producer.commune.id),
            before: None,
            after: Some(
                json!({"marketplace": row.marketplace, "status": row.status, "url": row.url,
                "price_vnd": row.price_vnd, "weight_g": row.weight_g}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(to_listing(row).expect("known marketplace"))
}

/// One product of the public catalogue.
#[derive(Debug, Clone)]
pub struct Item {
    pub product: Product,
    pub producer: Producer,
    pub photo_ids: Vec<String>,
    pub certifications: Vec<Certification>,
    pub listings: Vec<Listing>,
}

/// The approved products of a commune, or of every commune under an area unit.
pub async fn catalogue(store: &Store, unit_code: &str) -> Result<(Unit, Vec<Item>)> {
    let unit = crate::units::by_code(store, unit_code, xaso_domain::time::today_vn()).await?;
    let communes = crate::units::communes_of(store, &unit).await?;
    let ids = {
        let mut conn = store.read().await?;
        db::approved_products_in(&mut conn, &communes).await?
    };
    let mut items = Vec::with_capacity(ids.len());
    for (product_id, _) in ids {
        let (product, producer, _) = producers::product(store, None, &product_id).await?;
        items.push(Item {
            photo_ids: photos(store, &product_id)
                .await?
                .into_iter()
                .map(|p| p.id)
                .collect(),
            certifications: certifications(store, &product_id).await?,
            listings: listings(store, &product_id).await?,
            product,
            producer,
        });
    }
    Ok((unit, items))
}

/// One column of the listing export: its key, its heading in Vietnamese and in English, and
/// what goes in it (shown on the catalogue's help page).
pub struct Field {
    pub key: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
    pub about_vi: &'static str,
    pub about_en: &'static str,
}

/// The export's columns, in order.
pub const FIELDS: &[Field] = &[
    Field { key: "name", vi: "Tên sản phẩm", en: "Product name", about_vi: "Tên trên nhãn, như người mua tìm kiếm.", about_en: "The name on the label, as buyers search for it." },
    Field { key: "category", vi: "Danh mục", en: "Category", about_vi: "Nhóm hàng do cơ sở ghi; chọn danh mục tương ứng của sàn khi đăng.", about_en: "The producer's category; pick the marketplace's matching category when listing." },
    Field { key: "description", vi: "Mô tả", en: "Description", about_vi: "Mô tả sản phẩm của cơ sở.", about_en: "The producer's description." },
    Field { key: "price_vnd", vi: "Giá bán (đồng)", en: "Price (VND)", about_vi: "Số nguyên, đơn vị đồng, ghi trong bản ghi gian hàng của sàn này.", about_en: "Whole dong, from this marketplace's listing record." },
    Field { key: "sale_unit", vi: "Đơn vị bán", en: "Unit of sale", about_vi: "Ví dụ: túi 500 g, hộp 6 chai.", about_en: "For example: 500 g bag, box of 6 bottles." },
    Field { key: "weight_g", vi: "Khối lượng đóng gói (g)", en: "Packed weight (g)", about_vi: "Khối lượng gửi hàng, để sàn tính phí vận chuyển.", about_en: "Shipping weight, for the marketplace's delivery fee." },
    Field { key: "ingredients", vi: "Thành phần", en: "Ingredients", about_vi: "Bắt buộc trên nhãn thực phẩm (Nghị định 43/2017/NĐ-CP).", about_en: "Required on food labels (Decree 43/2017)." },
    Field { key: "storage", vi: "Bảo quản", en: "Storage", about_vi: "Hướng dẫn bảo quản (bắt buộc với thực phẩm).", about_en: "Storage instructions (required for food)." },
    Field { key: "shelf_life", vi: "Hạn sử dụng", en: "Shelf life", about_vi: "Ví dụ: 6 tháng kể từ ngày sản xuất; ngày cụ thể in trên từng lô.", about_en: "For example: 6 months from production; the date itself is printed per batch." },
    Field { key: "photos", vi: "Ảnh (đường dẫn)", en: "Photos (links)", about_vi: "Đường dẫn ảnh sản phẩm trên nền tảng, cách nhau bởi dấu cách; sàn tải ảnh về từ đây.", about_en: "Links to the product's photos on the platform, separated by spaces." },
    Field { key: "ocop", vi: "Hạng OCOP", en: "OCOP rating", about_vi: "Số sao, số giấy chứng nhận và ngày hết hiệu lực (36 tháng).", about_en: "Stars, certificate number and expiry (36 months)." },
    Field { key: "certifications", vi: "Chứng nhận", en: "Certifications", about_vi: "VietGAP, hữu cơ… còn hiệu lực, kèm số và nơi cấp (người bán hàng có điều kiện phải công khai).", about_en: "Valid VietGAP, organic … with number and issuer (conditional goods must show them)." },
    Field { key: "origin", vi: "Xuất xứ", en: "Origin", about_vi: "Xã, phường nơi sản xuất.", about_en: "The commune or ward it is made in." },
    Field { key: "producer", vi: "Cơ sở sản xuất", en: "Producer", about_vi: "Tên và địa chỉ tổ chức, cá nhân chịu trách nhiệm (bắt buộc trên nhãn).", about_en: "Name and address of the responsible business (required on the label)." },
    Field { key: "gtin", vi: "Mã GTIN (mã vạch)", en: "GTIN (barcode)", about_vi: "Nếu sản phẩm có mã vạch GS1.", about_en: "If the product has a GS1 barcode." },
    Field { key: "traceability_url", vi: "Đường dẫn truy xuất", en: "Traceability link", about_vi: "Trang sản phẩm trên nền tảng; dán vào mô tả để người mua kiểm tra nguồn gốc.", about_en: "The product's page on the platform; paste it in the description so buyers can check its origin." },
    Field { key: "marketplace", vi: "Sàn", en: "Marketplace", about_vi: "Postmart hoặc Voso.", about_en: "Postmart or Voso." },
    Field { key: "status", vi: "Trạng thái gian hàng", en: "Listing status", about_vi: "Đang chuẩn bị, đã gửi duyệt, đang bán, tạm ngừng.", about_en: "Preparing, submitted, live, paused." },
    Field { key: "listing_url", vi: "Đường dẫn gian hàng", en: "Listing link", about_vi: "Địa chỉ sản phẩm trên sàn, khi đã đăng.", about_en: "The product's address on the marketplace, once listed." },
];

/// The export's rows for one marketplace: a heading row in the reader's language, then one row
/// per product.
pub fn export_rows(
    items: &[Item],
    marketplace: Marketplace,
    base: &str,
    english: bool,
) -> Vec<Vec<String>> {
    let base = base.trim_end_matches('/');
    let today = xaso_domain::time::today_vn();
    let mut rows = vec![FIELDS
        .iter()
        .map(|f| if english { f.en } else { f.vi }.to_string())
        .collect::<Vec<_>>()];
    for it in items {
        let listing = it.listings.iter().find(|l| l.marketplace == marketplace);
        let p = &it.product;
        let row: Vec<String> = FIELDS
            .iter()
            .map(|f| match f.key {
                "name" => p.name.clone(),
                "category" => p.category.clone(),
                "description" => p.description.clone(),
                "price_vnd" => listing
                    .and_then(|l| l.price_vnd)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                "sale_unit" => p.sale_unit.clone(),
                "weight_g" => listing
                    .and_then(|l| l.weight_g)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                "ingredients" => listing.map(|l| l.ingredients.clone()).unwrap_or_default(),
                "storage" => listing.map(|l| l.storage.clone()).unwrap_or_default(),
                "shelf_life" => listing.map(|l| l.shelf_life.clone()).unwrap_or_default(),
                "photos" => it
                    .photo_ids
                    .iter()
                    .map(|id| format!("{base}/product-photos/{id}.jpg"))
                    .collect::<Vec<_>>()
                    .join(" "),
                "ocop" => p
                    .ocop
                    .as_ref()
                    .filter(|o| o.valid_on(today))
                    .map(|o| {
                        format!(
                            "{}★ · {} · {}",
                            o.stars,
                            o.certificate,
                            o.valid_until().format("%d/%m/%Y")
                        )
                    })
                    .unwrap_or_default(),
                "certifications" => it
                    .certifications
                    .iter()
                    .filter(|c| c.valid_on(today))
                    .map(|c| {
                        format!(
                            "{} {} ({})",
                            c.kind.as_str().to_uppercase(),
                            c.number,
                            c.issuer
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                "origin" => it.producer.commune.full_name.clone(),
                "producer" => {
                    if it.producer.address.is_empty() {
                        it.producer.name.clone()
                    } else {
                        format!("{}, {}", it.producer.name, it.producer.address)
                    }
                }
                "gtin" => p.gtin.map(|g| g.display()).unwrap_or_default(),
                "traceability_url" => match p.gtin {
                    Some(g) => xaso_domain::trace::DigitalLink {
                        gtin: g,
                        lot: None,
                        serial: None,
                    }
                    .uri(base),
                    None => format!("{base}/products/{}", p.id),
                },
                "marketplace" => marketplace.name().to_string(),
                "status" => listing
                    .map(|l| l.status.clone())
                    .unwrap_or_else(|| "preparing".into()),
                "listing_url" => listing.map(|l| l.url.clone()).unwrap_or_default(),
                _ => String::new(),
            })
            .collect();
        rows.push(row);
    }
    rows
}

/// The rows as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the accents).
pub fn to_csv(rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        for r in rows {
            w.write_record(r)
                .map_err(|e| Error::Internal(e.to_string()))?;
        }
        w.flush().map_err(|e| Error::Internal(e.to_string()))?;
    }
    Ok(out)
}

/// The rows as an xlsx workbook, the heading row bold and frozen.
pub fn to_xlsx(rows: &[Vec<String>], sheet: &str) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("xlsx: {e}"));
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(err)?;
    let bold = Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if r == 0 {
                ws.write_string_with_format(r, c, v, &bold).map_err(err)?;
            } else if let (true, Ok(n)) = (
                matches!(
                    FIELDS.get(c as usize).map(|f| f.key),
                    Some("price_vnd" | "weight_g")
                ),
                v.parse::<f64>(),
            ) {
                ws.write_number(r, c, n).map_err(err)?;
            } else {
                ws.write_string(r, c, v).map_err(err)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    ws.set_column_width(0, 32).map_err(err)?;
    ws.set_column_width(2, 48).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}
