//! Cases listed: the public list and map, staff's queue, nearby open cases and suggested
//! duplicates, statistics and the open cases behind an NTM criterion.

use super::*;

/// What a list of cases asks for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// A commune's (or larger unit's) code; empty = everywhere the reader may look.
    pub unit: String,
    pub statuses: Vec<Status>,
    pub categories: Vec<String>,
    pub numbers: Vec<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub bbox: Option<(f64, f64, f64, f64)>,
    pub page: i64,
    pub per_page: i64,
}

async fn filter_of(store: &Store, q: &ListQuery, now: DateTime<Utc>) -> Result<CaseFilter> {
    let mut f = CaseFilter {
        statuses: q.statuses.iter().map(|s| s.as_str().to_string()).collect(),
        numbers: q.numbers.clone(),
        created_from: q.from.map(to_storage),
        created_to: q.to.map(to_storage),
        overdue_at: q.overdue.then(|| to_storage(now)),
        bbox: q.bbox,
        limit: q.per_page.clamp(1, 1000),
        offset: (q.page.max(1) - 1) * q.per_page.clamp(1, 1000),
        ..CaseFilter::default()
    };
    if !q.categories.is_empty() {
        let mut conn = store.read().await?;
        let all = db::categories(&mut conn).await?;
        f.category_ids = all
            .into_iter()
            .filter(|c| q.categories.contains(&c.code))
            .map(|c| c.id)
            .collect();
        if f.category_ids.is_empty() {
            f.category_ids.push(String::new());
        }
    }
    if !q.unit.trim().is_empty() {
        let unit =
            crate::units::by_code(store, q.unit.trim(), xaso_domain::time::today_vn()).await?;
        f.communes = Some(crate::units::communes_of(store, &unit).await?);
    }
    Ok(f)
}

/// A page of cases as the public sees them, newest first, with the total count.
pub async fn list_public(store: &Store, q: &ListQuery) -> Result<(Vec<Case>, i64)> {
    let f = filter_of(store, q, Utc::now()).await?;
    let total = {
        let mut conn = store.read().await?;
        db::count_cases(&mut conn, &f).await?
    };
    Ok((public_rows(store, &f).await?, total))
}

/// A page of cases as the public sees them, newest first, without counting them all (for
/// Open311, whose answers carry no total).
pub async fn list_public_page(store: &Store, q: &ListQuery) -> Result<Vec<Case>> {
    let f = filter_of(store, q, Utc::now()).await?;
    public_rows(store, &f).await
}

async fn public_rows(store: &Store, f: &CaseFilter) -> Result<Vec<Case>> {
    let rows = {
        let mut conn = store.read().await?;
        db::cases(&mut conn, f).await?
    };
    let mut l = Loaded::new(store).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(l.case(store, r, false).await?.public());
    }
    Ok(out)
}

/// A page of the cases of the communes the actor handles (with reporters), and the count.
pub async fn list_staff(
    store: &Store,
    actor: Option<&Actor>,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> Result<(Vec<Case>, i64)> {
    let actor = actor.ok_or(Error::Unauthenticated)?;
    let mut f = filter_of(store, q, now).await?;
    let scope = authz::covered_ids(store, actor, HANDLERS).await?;
    if let Some(scope) = scope {
        if scope.is_empty() {
            return Err(Error::Forbidden);
        }
        let allowed: Vec<String> = match f.communes.take() {
            Some(asked) => asked.into_iter().filter(|c| scope.contains(c)).collect(),
            None => scope.into_iter().collect(),
        };
        f.communes = Some(allowed);
    }
    let rows = {
        let mut conn = store.read().await?;
        (
            db::cases(&mut conn, &f).await?,
            db::count_cases(&mut conn, &f).await?,
        )
    };
    let mut l = Loaded::new(store).await?;
    let mut out = Vec::with_capacity(rows.0.len());
    for r in rows.0 {
        out.push(l.case(store, r, false).await?);
    }
    Ok((out, rows.1))
}

/// A point on the public map.
#[derive(Debug, Clone)]
pub struct Point {
    pub number: i64,
    pub category: String,
    pub status: Status,
    pub latitude: f64,
    pub longitude: f64,
}

/// The newest cases with a position in a box (at most `limit`), for the public map.
pub async fn map_points(store: &Store, q: &ListQuery, limit: i64) -> Result<Vec<Point>> {
    let mut f = filter_of(store, q, Utc::now()).await?;
    f.limit = limit.clamp(1, 2000);
    f.offset = 0;
    let rows = {
        let mut conn = store.read().await?;
        db::points(&mut conn, &f).await?
    };
    let cats = Loaded::new(store).await?.categories;
    Ok(rows
        .into_iter()
        .map(|r| Point {
            number: r.number,
            category: cats
                .get(&r.category_id)
                .map(|c| c.code.clone())
                .unwrap_or_default(),
            status: stored_status(&r.status),
            latitude: r.latitude,
            longitude: r.longitude,
        })
        .collect())
}

/// Open cases of a category near a point: shown on the form before submitting ("is it already
/// reported?") and to staff as likely duplicates. Public view, nearest first.
pub async fn nearby_open(
    store: &Store,
    category: &str,
    lat: f64,
    lng: f64,
    except: Option<&str>,
) -> Result<Vec<(Case, f64)>> {
    let Ok(cat) = category_by_code(store, category).await else {
        return Ok(Vec::new());
    };
    let dlat = dom::DUPLICATE_RADIUS_M / 111_000.0;
    let dlng = dlat / lat.to_radians().cos().max(0.1);
    let f = CaseFilter {
        statuses: vec!["received".into(), "accepted".into(), "in_progress".into()],
        category_ids: vec![cat.id],
        bbox: Some((lat - dlat, lng - dlng, lat + dlat, lng + dlng)),
        hide_merged: true,
        limit: 50,
        ..CaseFilter::default()
    };
    let rows = {
        let mut conn = store.read().await?;
        db::cases(&mut conn, &f).await?
    };
    let mut l = Loaded::new(store).await?;
    let mut out = Vec::new();
    for r in rows {
        if Some(r.id.as_str()) == except {
            continue;
        }
        let d = distance_m(
            lat,
            lng,
            r.latitude.unwrap_or(lat),
            r.longitude.unwrap_or(lng),
        );
        if d <= dom::DUPLICATE_RADIUS_M {
            out.push((l.case(store, r, false).await?.public(), d));
        }
    }
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out.truncate(5);
    Ok(out)
}

/// Likely duplicates of a case, for its handlers: open cases of the same category within
/// 300 m, or at the same registered place.
pub async fn suggested_duplicates(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
) -> Result<Vec<(Case, f64)>> {
    let (row, _) = load_for_staff(store, actor, id).await?;
    if !Status::parse(&row.status).is_some_and(|s| s.is_open()) {
        return Ok(Vec::new());
    }
    let (Some(lat), Some(lng)) = (row.latitude, row.longitude) else {
        return Ok(Vec::new());
    };
    let code = {
        let mut conn = store.read().await?;
        db::category(&mut conn, &row.category_id)
            .await?
            .map(|c| c.code)
            .unwrap_or_default()
    };
    nearby_open(store, &code, lat, lng, Some(&row.id)).await
}

/// A commune's (or area's) figures.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// (category code, status) → count.
    pub counts: Vec<(String, Status, i64)>,
    pub total: i64,
    pub open: i64,
    pub overdue: i64,
    /// Median time from report to resolution, in hours.
    pub median_hours: Option<f64>,
    /// Share of closed cases closed within their deadline.
    pub on_time_share: Option<f64>,
    pub rating_avg: Option<f64>,
    pub ratings: i64,
}

/// Statistics of the cases of a unit (a commune, or every commune under a larger unit).
pub async fn stats(store: &Store, unit_code: &str) -> Result<Stats> {
    let q = ListQuery {
        unit: unit_code.into(),
        ..ListQuery::default()
    };
    let now = Utc::now();
    let mut f = filter_of(store, &q, now).await?;
    f.hide_merged = true;
    let (counts, closed, overdue) = {
        let mut conn = store.read().await?;
        let counts = db::counts(&mut conn, &f).await?;
        let closed = db::closed_times(&mut conn, &f).await?;
        let mut of = f.clone();
        of.overdue_at = Some(to_storage(now));
        let overdue = db::count_cases(&mut conn, &of).await?;
        (counts, closed, overdue)
    };
    let cats = Loaded::new(store).await?.categories;
    let mut s = Stats {
        overdue,
        ..Stats::default()
    };
    for c in counts {
        let status = stored_status(&c.status);
        s.total += c.n;
        if status.is_open() {
            s.open += c.n;
        }
        let code = cats
            .get(&c.category_id)
            .map(|c| c.code.clone())
            .unwrap_or_default();
        s.counts.push((code, status, c.n));
    }
    let mut hours: Vec<f64> = Vec::new();
    let mut on_time = 0;
    let mut ratings = Vec::new();
    for c in &closed {
        let (Some(created), Some(resolved), Some(due)) = (
            from_storage(&c.created_at),
            c.resolved_at.as_deref().and_then(from_storage),
            from_storage(&c.due_at),
        ) else {
            continue;
        };
        hours.push((resolved - created).num_minutes() as f64 / 60.0);
        if resolved <= due {
            on_time += 1;
        }
        if let Some(r) = c.rating {
            ratings.push(r as f64);
        }
    }
    hours.sort_by(|a, b| a.total_cmp(b));
    if !hours.is_empty() {
        let m = hours.len() / 2;
        s.median_hours = Some(if hours.len() % 2 == 1 {
            hours[m]
        } else {
            (hours[m - 1] + hours[m]) / 2.0
        });
        s.on_time_share = Some(on_time as f64 / hours.len() as f64);
    }
    if !ratings.is_empty() {
        s.ratings = ratings.len() as i64;
        s.rating_avg = Some(ratings.iter().sum::<f64>() / ratings.len() as f64);
    }
    Ok(s)
}

/// The national 2021–2025 commune set, which a bare criterion number in a category's tags
/// refers to; other sets are named: "vn-xa-ntm-2026-2030:2".
pub const DEFAULT_CRITERIA_SET: &str = "vn-xa-ntm-2021-2025";

/// The (set key, criterion number) a category tag names.
pub fn criterion_of(tag: &str) -> (String, String) {
    match tag.rsplit_once(':') {
        Some((set, no)) => (set.trim().to_string(), no.trim().to_string()),
        None => (DEFAULT_CRITERIA_SET.to_string(), tag.trim().to_string()),
    }
}

/// Open cases of a commune whose category touches each NTM criterion: (set key, criterion
/// number) → cases (public view), for the commune's criteria page.
pub async fn open_by_criterion(
    store: &Store,
    commune_id: &str,
) -> Result<HashMap<(String, String), Vec<Case>>> {
    let f = CaseFilter {
        communes: Some(vec![commune_id.to_string()]),
        statuses: vec!["received".into(), "accepted".into(), "in_progress".into()],
        hide_merged: true,
        limit: 500,
        ..CaseFilter::default()
    };
    let rows = {
        let mut conn = store.read().await?;
        db::cases(&mut conn, &f).await?
    };
    let mut l = Loaded::new(store).await?;
    let mut out: HashMap<(String, String), Vec<Case>> = HashMap::new();
    for r in rows {
        let c = l.case(store, r, false).await?.public();
        for tag in &c.category.criteria {
            out.entry(criterion_of(tag)).or_default().push(c.clone());
        }
    }
    Ok(out)
}
