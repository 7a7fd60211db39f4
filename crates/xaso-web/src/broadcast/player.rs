//! The reference board player's page (assets/player-board.js): what a board's kiosk browser
//! opens. It holds no data; the page fetches the device's schedule with the device token it
//! was given.

use askama::Template;
use axum::http::header;
use axum::response::Response;

use crate::ctx::{Ctx, Page};
use crate::render;

#[derive(Template)]
#[template(path = "broadcast/player.html")]
struct PlayerPage {
    p: Page,
}

/// `/player/board`: the full-screen player (set up with `#device=…&token=…` from the device's
/// token page, or by typing both).
pub async fn board(ctx: Ctx) -> Response {
    let mut resp = render(&PlayerPage { p: ctx.page() });
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    resp
}
