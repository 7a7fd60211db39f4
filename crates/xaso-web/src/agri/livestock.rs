//! The livestock survey's form: one row per village (the ones the user may enter), one box per
//! species.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use xaso_core::agri::livestock::{self, Entry};
use xaso_core::Error;
use xaso_domain::agri::livestock::Species;
use xaso_domain::units::Unit;

use crate::ctx::{Ctx, Page};
use crate::error::PageError;
use crate::{render, AppState};

const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("a whole number of head", "agri.err_head"),
    ("the survey date is in the future", "agri.err_future"),
    ("the date of the survey", "agri.err_survey_date"),
    (
        "enter the counts of at least one village",
        "agri.err_no_counts",
    ),
    ("not a village of this commune", "agri.err_village"),
];

/// A village's boxes: (species, the box's name, what it holds).
type Boxes = Vec<(Species, String, String)>;

#[derive(Template)]
#[template(path = "agri/livestock.html")]
struct FormPage {
    p: Page,
    unit: Unit,
    /// (village, [(species, box name, value)])
    rows: Vec<(Unit, Boxes)>,
    surveyed_on: String,
    errors: Vec<(String, String)>,
    saved: bool,
}

impl FormPage {
    fn species(&self) -> &'static [Species] {
        Species::ALL
    }
}

#[derive(Deserialize)]
pub struct FormQuery {
    /// The survey date to show or correct (yyyy-mm-dd).
    date: Option<String>,
    saved: Option<String>,
}

fn box_name(village: &str, s: Species) -> String {
    format!("n:{village}:{}", s.as_str())
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    surveyed_on: String,
    typed: Option<&[(String, String)]>,
    errors: Vec<(String, String)>,
    saved: bool,
) -> Result<Response, PageError> {
    let date = (!surveyed_on.is_empty()).then_some(surveyed_on.as_str());
    let (unit, villages) = livestock::form(&state.store, ctx.actor.as_ref(), code, date).await?;
    let rows = villages
        .into_iter()
        .map(|(v, counts)| {
            let boxes = Species::ALL
                .iter()
                .map(|s| {
                    let name = box_name(&v.code, *s);
                    let value = match typed {
                        Some(t) => t
                            .iter()
                            .find(|(k, _)| *k == name)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default(),
                        None => counts
                            .iter()
                            .find(|(x, _)| x == s)
                            .map(|(_, n)| n.to_string())
                            .unwrap_or_default(),
                    };
                    (*s, name, value)
                })
                .collect();
            (v, boxes)
        })
        .collect();
    let status = crate::error::form_status(&errors);
    Ok((
        status,
        render(&FormPage {
            p: ctx.page(),
            unit,
            rows,
            surveyed_on,
            errors,
            saved,
        }),
    )
        .into_response())
}

/// The survey form (a commune's staff; a village team sees its own village).
pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<FormQuery>,
) -> Result<Response, PageError> {
    if ctx.actor.is_none() {
        return Ok(Redirect::to(&format!("/login?next=/units/{code}/livestock")).into_response());
    }
    let date = q
        .date
        .unwrap_or_else(|| xaso_domain::time::today_vn().to_string());
    form_page(
        &state,
        &ctx,
        &code,
        date,
        None,
        Vec::new(),
        q.saved.is_some(),
    )
    .await
}

/// Keeps a survey's counts (all or nothing).
pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    ctx.check_form_write(&get("csrf"))?;
    let surveyed_on = get("surveyed_on");
    let entries: Vec<Entry> = fields
        .iter()
        .filter_map(|(k, v)| {
            let mut parts = k.strip_prefix("n:")?.splitn(2, ':');
            Some(Entry {
                village: parts.next()?.to_string(),
                species: parts.next()?.to_string(),
                head: v.clone(),
            })
        })
        .collect();
    match livestock::save(
        &state.store,
        ctx.actor.as_ref(),
        &code,
        &surveyed_on,
        &entries,
    )
    .await
    {
        Ok(_) => {
            let date = xaso_domain::time::parse_date(&surveyed_on)
                .map(|d| d.to_string())
                .unwrap_or_default();
            Ok(
                Redirect::to(&format!("/units/{code}/livestock?date={date}&saved=1"))
                    .into_response(),
            )
        }
        Err(e @ Error::Invalid(_)) => {
            let errors = crate::error::refusals(&ctx, MESSAGE_KEYS, e)?;
            form_page(
                &state,
                &ctx,
                &code,
                surveyed_on,
                Some(&fields),
                errors,
                false,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
