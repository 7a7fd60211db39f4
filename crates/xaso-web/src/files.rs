//! Files in and out. Sending a stored file: streamed from the file store piece by piece (a 50 MB
//! bulletin is never held whole in memory), with byte ranges so phones and players can seek and
//! resume. Receiving a large one (recordings, imports): written to a temporary file as it
//! arrives ([`spool`]), then streamed into the file store.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use xaso_core::upload::{Spooled, Spooler};
use xaso_core::Error;

use crate::ctx::Ctx;
use crate::error::PageError;

/// Writes an upload's pieces (a multipart field, a request body) to a temporary file as they
/// arrive. Reading stops once more than `limit` bytes came (the caller refuses the file by its
/// size, which then says so). A piece that cannot be read is refused with the status it came
/// with (413 when the route's body limit was reached, else 400).
pub async fn spool(
    to: For,
    name: String,
    mut pieces: impl Stream<Item = Result<Bytes, StatusCode>> + Unpin,
    limit: u64,
) -> Result<Spooled, PageError> {
    let internal =
        |e: std::io::Error| to.error(Error::Internal(format!("spooling an upload: {e}")));
    let mut w = Spooler::new().map_err(internal)?;
    while let Some(piece) = pieces.next().await {
        let piece = piece.map_err(|s| PageError::unreadable_status(s, matches!(to, For::Api)))?;
        w.write(&piece).await.map_err(internal)?;
        if w.written() > limit {
            break;
        }
    }
    w.finish(name).await.map_err(internal)
}

/// A multipart form as sent by a browser: its text fields and one file.
pub(crate) struct Upload {
    fields: HashMap<String, String>,
    pub(crate) filename: String,
    pub(crate) file: Vec<u8>,
}

impl Upload {
    pub(crate) fn field(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    /// The file with its name, as the core takes it; none when no file was chosen.
    pub(crate) fn take_file(&mut self) -> Option<xaso_core::catalogue::Upload> {
        (!self.file.is_empty()).then(|| xaso_core::catalogue::Upload {
            name: std::mem::take(&mut self.filename),
            bytes: std::mem::take(&mut self.file),
        })
    }
}

/// Reads a multipart form whose file is small enough to be used whole (the field named `file`).
pub(crate) async fn read_upload(form: axum::extract::Multipart) -> Result<Upload, PageError> {
    let SpooledForm { fields, file } = read_form(form, usize::MAX).await?;
    let bytes = if file.is_empty() {
        Vec::new()
    } else {
        tokio::fs::read(file.path())
            .await
            .map_err(|e| PageError::page(Error::Internal(format!("an upload: {e}"))))?
    };
    Ok(Upload {
        fields,
        filename: file.name.clone(),
        file: bytes,
    })
}

/// A browser's multipart form whose file (the field named `file`) was spooled as it arrived.
pub(crate) struct SpooledForm {
    fields: HashMap<String, String>,
    /// Empty (`len` 0) when no file was chosen.
    pub(crate) file: Spooled,
}

impl SpooledForm {
    pub(crate) fn field(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    /// The file, or none when no file was chosen.
    pub(crate) fn take_file(self) -> Option<Spooled> {
        (!self.file.is_empty()).then_some(self.file)
    }
}

/// Reads a signed-in user's multipart form, spooling its `file` field to disk (up to `limit`
/// bytes and one piece). Nobody signed in is sent to sign in before a byte is written.
pub(crate) async fn read_spooled(
    ctx: &Ctx,
    form: axum::extract::Multipart,
    limit: usize,
) -> Result<SpooledForm, PageError> {
    if ctx.actor.is_none() {
        return Err(PageError::page(Error::Unauthenticated));
    }
    read_form(form, limit).await
}

async fn read_form(
    mut form: axum::extract::Multipart,
    limit: usize,
) -> Result<SpooledForm, PageError> {
    let unreadable = |e| PageError::unreadable(e, false);
    let mut fields = HashMap::new();
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" && file.is_none() {
            let filename = field.file_name().unwrap_or("").to_string();
            let pieces = field.map(|r| r.map_err(|e| e.status()));
            file = Some(spool(For::Page, filename, pieces, limit as u64).await?);
            if file.as_ref().is_some_and(|f| f.len > limit as u64) {
                // Refused by its size: the rest of the body is not read.
                break;
            }
        } else {
            fields.insert(name, field.text().await.unwrap_or_default());
        }
    }
    let file = match file {
        Some(f) => f,
        None => Spooled::from_bytes("", b"")
            .map_err(|e| PageError::page(Error::Internal(e.to_string())))?,
    };
    Ok(SpooledForm { fields, file })
}

/// A `Range: bytes=…` header as `start..end` (end exclusive) within `size`; `None` when the
/// range cannot be satisfied. Only the first range of a list is served.
pub fn parse_range(h: &str, size: u64) -> Option<(u64, u64)> {
    let spec = h.strip_prefix("bytes=")?.split(',').next()?.trim();
    let (a, b) = spec.split_once('-')?;
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (size.saturating_sub(n), size)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            size
        } else {
            b.parse::<u64>().ok()?.saturating_add(1).min(size)
        };
        (start, end)
    };
    (start < end).then_some((start, end))
}

/// Who asked: a page (errors as HTML) or the API (errors as JSON).
#[derive(Clone, Copy)]
pub enum For {
    Page,
    Api,
}

impl For {
    /// A core error as this caller shows it.
    pub fn error(self, e: Error) -> PageError {
        match self {
            For::Page => PageError::page(e),
            For::Api => PageError::api(e),
        }
    }
}

/// A file store's error as the caller shows it: a missing file is a 404, anything else a 500.
pub fn fault(to: For, e: xaso_storage::files::FilesError) -> PageError {
    to.error(if e.is_not_found() {
        Error::NotFound
    } else {
        Error::Internal(e.to_string())
    })
}

/// The file `key` (`size` bytes of type `mime`) as a streamed answer: whole, or the range the
/// request asks for (206), or 416 for a range outside it. `extra` headers go on every answer.
pub async fn send(
    to: For,
    files: &xaso_storage::Files,
    key: &str,
    mime: &str,
    size: u64,
    request: &HeaderMap,
    extra: &[(header::HeaderName, String)],
) -> Result<Response, PageError> {
    let fault = |e| fault(to, e);
    let range = request
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|r| parse_range(r, size));
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, size),
        Some(Some((s, e))) => (StatusCode::PARTIAL_CONTENT, s, e),
        Some(None) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{size}"))],
            )
                .into_response())
        }
    };
    let body = if start == end {
        Body::empty()
    } else {
        Body::from_stream(files.stream_range(key, start, end).await.map_err(fault)?)
    };
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let h = res.headers_mut();
    let value = |v: &str| HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static(""));
    h.insert(header::CONTENT_TYPE, value(mime));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    if status == StatusCode::PARTIAL_CONTENT {
        h.insert(
            header::CONTENT_RANGE,
            value(&format!("bytes {start}-{}/{size}", end - 1)),
        );
    }
    for (name, v) in extra {
        h.insert(name.clone(), value(v));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_are_read_as_players_send_them() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some((0, 100)));
        assert_eq!(parse_range("bytes=900-", 1000), Some((900, 1000)));
        assert_eq!(parse_range("bytes=-100", 1000), Some((900, 1000)));
        assert_eq!(parse_range("bytes=0-5000", 1000), Some((0, 1000)));
        assert_eq!(parse_range("bytes=1000-", 1000), None);
        assert_eq!(parse_range("items=0-1", 1000), None);
    }
}
