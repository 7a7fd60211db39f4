//! The commune's e-information portal (trang thông tin điện tử): what a post is, the states it
//! goes through, and what an editor types, checked. Decree 42/2022/NĐ-CP lists what a
//! government page publishes: introduction and leaders, news, legal documents, public-service
//! guidance, questions and answers, contacts; the kinds below cover those.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::places::FieldProblem;
use crate::text;

/// What a post is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostKind {
    /// Tin tức.
    News,
    /// Thông báo: with a validity period, may be pinned.
    Announcement,
    /// Văn bản: number, date, issuer, type, summary, PDF.
    Document,
    /// Hướng dẫn thủ tục hành chính: the national procedure code, where and how to file online.
    Guide,
    /// A fixed page (giới thiệu, lịch sử, bản đồ …) addressed by its slug.
    Page,
}

pub const POST_KINDS: &[PostKind] = &[
    PostKind::News,
    PostKind::Announcement,
    PostKind::Document,
    PostKind::Guide,
    PostKind::Page,
];

impl PostKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::News => "news",
            PostKind::Announcement => "announcement",
            PostKind::Document => "document",
            PostKind::Guide => "guide",
            PostKind::Page => "page",
        }
    }

    pub fn parse(s: &str) -> Option<PostKind> {
        POST_KINDS.iter().copied().find(|k| k.as_str() == s.trim())
    }
}

/// Where a post is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    /// Nháp: only its editors see it.
    Draft,
    /// Chờ duyệt: sent for review.
    Review,
    /// Đã duyệt: public from its publishing time until it expires.
    Published,
    /// Đã gỡ: taken down, kept.
    Withdrawn,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Review => "review",
            PostStatus::Published => "published",
            PostStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<PostStatus> {
        [
            PostStatus::Draft,
            PostStatus::Review,
            PostStatus::Published,
            PostStatus::Withdrawn,
        ]
        .into_iter()
        .find(|k| k.as_str() == s.trim())
    }

    /// The moves the workflow allows: draft → review → published (or back to draft with a
    /// note), published → withdrawn, and a withdrawn post may be edited again as a draft.
    pub fn may_become(self, to: PostStatus) -> bool {
        use PostStatus::*;
        matches!(
            (self, to),
            (Draft, Review)
                | (Draft, Published)
                | (Review, Published)
                | (Review, Draft)
                | (Published, Withdrawn)
                | (Published, Draft)
                | (Withdrawn, Draft)
        )
    }
}

/// Whether a published post shows at `now`: after its publishing time and before it expires.
pub fn is_live(
    status: PostStatus,
    publish_at: Option<DateTime<Utc>>,
    expire_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    status == PostStatus::Published
        && publish_at.is_none_or(|p| p <= now)
        && expire_at.is_none_or(|e| e > now)
}

/// A post as an editor types it (the form and the API).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PostInput {
    /// news, announcement, document, guide or page.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    /// The English title (optional).
    #[serde(default)]
    pub title_en: String,
    /// One or two sentences shown in lists, feeds and shared links.
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub summary_en: String,
    /// The text; paragraphs separated by an empty line.
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub body_en: String,
    /// Announcements: shown first on the home page while valid.
    #[serde(default)]
    pub pinned: bool,
    /// When the post goes public once approved (dd/mm/yyyy HH:mm or ISO 8601); at once if empty.
    #[serde(default)]
    pub publish_at: String,
    /// When it stops showing (announcements: the end of validity); never if empty.
    #[serde(default)]
    pub expire_at: String,
    /// Documents: number ("15/2026/QĐ-UBND"), date, issuer and type (Quyết định, Kế hoạch …).
    #[serde(default)]
    pub doc_number: String,
    #[serde(default)]
    pub doc_date: String,
    #[serde(default)]
    pub doc_issuer: String,
    #[serde(default)]
    pub doc_type: String,
    /// Guides: the national procedure code (e.g. "1.001612"), where to file and the portal's link.
    #[serde(default)]
    pub procedure_code: String,
    #[serde(default)]
    pub where_to_file: String,
    #[serde(default)]
    pub portal_url: String,
    /// Fixed pages: the address under the unit (`gioi-thieu`, `lich-su`, `ban-do`).
    #[serde(default)]
    pub slug: String,
}

/// A checked post.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewPost {
    pub kind: PostKind,
    pub title: String,
    pub title_en: String,
    pub summary: String,
    pub summary_en: String,
    pub body: String,
    pub body_en: String,
    pub pinned: bool,
    pub publish_at: Option<DateTime<Utc>>,
    pub expire_at: Option<DateTime<Utc>>,
    pub doc_number: String,
    pub doc_date: Option<NaiveDate>,
    pub doc_issuer: String,
    pub doc_type: String,
    pub procedure_code: String,
    pub where_to_file: String,
    pub portal_url: String,
    pub slug: String,
}

/// Text with its paragraphs: NFC, Windows line ends made plain, spaces at line ends and more
/// than one empty line between paragraphs removed.
pub fn clean_text(input: &str) -> String {
    let nfc = text::nfc(input).replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(nfc.len());
    let mut blank = 0;
    for line in nfc.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

/// The paragraphs of a text as pages show them.
pub fn paragraphs(body: &str) -> Vec<&str> {
    body.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .collect()
}

pub use crate::time::parse_moment;

fn valid_slug(s: &str) -> bool {
    (2..=60).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl PostInput {
    pub fn check(&self) -> Result<NewPost, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let p = |field: &'static str, detail: &'static str| FieldProblem { field, detail };
        let kind = PostKind::parse(&self.kind);
        if kind.is_none() {
            problems.push(p(
                "kind",
                "choose what the post is (news, announcement, document, guide, page)",
            ));
        }
        let title = text::clean(&self.title);
        if title.chars().count() < 3 {
            problems.push(p("title", "give the post a title"));
        } else if title.chars().count() > 200 {
            problems.push(p("title", "a title is at most 200 characters"));
        }
        let title_en = text::clean(&self.title_en);
        let summary = text::clean(&self.summary);
        let summary_en = text::clean(&self.summary_en);
        if title_en.chars().count() > 200
            || summary.chars().count() > 400
            || summary_en.chars().count() > 400
        {
            problems.push(p(
                "summary",
                "a summary is at most 400 characters (titles 200)",
            ));
        }
        let body = clean_text(&self.body);
        let body_en = clean_text(&self.body_en);
        if body.chars().count() > 50_000 || body_en.chars().count() > 50_000 {
            problems.push(p("body", "the text is at most 50,000 characters"));
        }
        let moment = |s: &str, field: &'static str, problems: &mut Vec<FieldProblem>| match s.trim()
        {
            "" => None,
            v => {
                let m = parse_moment(v);
                if m.is_none() {
                    problems.push(p(field, "write the time as dd/mm/yyyy HH:mm"));
                }
                m
            }
        };
        let publish_at = moment(&self.publish_at, "publish_at", &mut problems);
        let expire_at = moment(&self.expire_at, "expire_at", &mut problems);
        if let (Some(a), Some(b)) = (publish_at, expire_at) {
            if b <= a {
                problems.push(p("expire_at", "the post must expire after it is published"));
            }
        }
        let doc_date = match self.doc_date.trim() {
            "" => None,
            s => {
                let d = crate::time::parse_date(s);
                if d.is_none() {
                    problems.push(p("doc_date", "write the date as dd/mm/yyyy"));
                }
                d
            }
        };
        let doc_number = text::clean(&self.doc_number);
        let doc_issuer = text::clean(&self.doc_issuer);
        let doc_type = text::clean(&self.doc_type);
        let procedure_code = text::clean(&self.procedure_code);
        let where_to_file = clean_text(&self.where_to_file);
        let portal_url = self.portal_url.trim().to_string();
        if !(portal_url.is_empty()
            || portal_url.starts_with("https://")
            || portal_url.starts_with("http://"))
        {
            problems.push(p(
                "portal_url",
                "the portal's link starts with https:// or http://",
            ));
        }
        let slug = self.slug.trim().to_lowercase();
        match kind {
            Some(PostKind::Document) => {
                if doc_number.is_empty() {
                    problems.push(p("doc_number", "a document needs its number"));
                }
                if doc_date.is_none() && self.doc_date.trim().is_empty() {
                    problems.push(p("doc_date", "a document needs its date"));
                }
                if doc_issuer.is_empty() {
                    problems.push(p("doc_issuer", "a document needs its issuer"));
                }
            }
            Some(PostKind::Guide) if where_to_file.is_empty() && portal_url.is_empty() => {
                problems.push(p(
                    "where_to_file",
                    "a guide says where to file the procedure or links to the portal",
                ));
            }
            Some(PostKind::Page) if !valid_slug(&slug) => {
                problems.push(p(
                    "slug",
                    "a page's address is 2 to 60 lowercase letters, digits and -",
                ));
            }
            Some(PostKind::News | PostKind::Announcement)
                if body.is_empty() && summary.is_empty() =>
            {
                problems.push(p("body", "write the text of the post"));
            }
            _ => {}
        }
        let Some(kind) = kind else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NewPost {
            kind,
            title,
            title_en,
            summary,
            summary_en,
            body,
            body_en,
            pinned: self.pinned && kind == PostKind::Announcement,
            publish_at,
            expire_at,
            doc_number,
            doc_date,
            doc_issuer,
            doc_type,
            procedure_code,
            where_to_file,
            portal_url,
            slug: if kind == PostKind::Page {
                slug
            } else {
                String::new()
            },
        })
    }
}

/// One piece of a comparison of two texts: kept, taken out or put in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diff {
    Same,
    Removed,
    Added,
}

/// A word-by-word comparison of two versions of a text (for a post's revisions), with runs of
/// the same kind joined.
pub fn word_diff(before: &str, after: &str) -> Vec<(Diff, String)> {
    let diff = similar::TextDiff::from_words(before, after);
    let mut out: Vec<(Diff, String)> = Vec::new();
    for change in diff.iter_all_changes() {
        let kind = match change.tag() {
            similar::ChangeTag::Equal => Diff::Same,
            similar::ChangeTag::Delete => Diff::Removed,
            similar::ChangeTag::Insert => Diff::Added,
        };
        match out.last_mut() {
            Some((k, text)) if *k == kind => text.push_str(change.value()),
            _ => out.push((kind, change.value().to_string())),
        }
    }
    out
}

/// A line of a unit's contact directory as an editor types it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactInput {
    /// A person's or an office's name ("Bộ phận Một cửa").
    #[serde(default)]
    pub name: String,
    /// Their role or what they handle ("Chủ tịch UBND xã").
    #[serde(default)]
    pub role: String,
    /// An official number: a phone (9–12 digits) or a short service number like 1022.
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    /// When to come or call ("7:00–11:30, 13:30–17:00, thứ Hai – thứ Sáu").
    #[serde(default)]
    pub hours: String,
    /// Place in the list (smaller first); the end when empty.
    #[serde(default)]
    pub position: String,
}

/// A checked contact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewContact {
    pub name: String,
    pub role: String,
    pub phone: String,
    pub email: String,
    pub hours: String,
    pub position: Option<i64>,
}

impl ContactInput {
    pub fn check(&self) -> Result<NewContact, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let p = |field: &'static str, detail: &'static str| FieldProblem { field, detail };
        let name = text::clean(&self.name);
        if name.chars().count() < 2 || name.chars().count() > 120 {
            problems.push(p("name", "a contact needs a name (2 to 120 characters)"));
        }
        let role = text::clean(&self.role);
        let hours = text::clean(&self.hours);
        if role.chars().count() > 200 || hours.chars().count() > 200 {
            problems.push(p("role", "a role or hours are at most 200 characters"));
        }
        let phone: String = self
            .phone
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
            .collect();
        let digits = phone.strip_prefix('+').unwrap_or(&phone);
        let phone_ok =
            (3..=12).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit());
        if !(phone.is_empty() || phone_ok) {
            problems.push(p(
                "phone",
                "a phone number is 9 to 12 digits, or a short service number like 1022",
            ));
        }
        let email = self.email.trim().to_lowercase();
        let email_ok = email.contains('@') && email.contains('.') && !email.contains(' ');
        if !(email.is_empty() || email_ok) {
            problems.push(p("email", "the e-mail address looks like name@example.vn"));
        }
        let position = match self.position.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(n) if (0..=1000).contains(&n) => Some(n),
                _ => {
                    problems.push(p(
                        "position",
                        "the place in the list is a number from 0 to 1000",
                    ));
                    None
                }
            },
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NewContact {
            name,
            role,
            phone,
            email,
            hours,
            position,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_survive_cleaning() {
        let t = clean_text("Dòng một  \r\nvẫn đoạn một\r\n\r\n\r\n\r\nĐoạn hai\n\n");
        assert_eq!(t, "Dòng một\nvẫn đoạn một\n\nĐoạn hai");
        assert_eq!(paragraphs(&t).len(), 2);
    }

    #[test]
    fn moments_are_read_in_vietnam_time() {
        let m = parse_moment("05/12/2026 07:30").unwrap();
        assert_eq!(m.to_rfc3339(), "2026-12-05T00:30:00+00:00");
        assert_eq!(parse_moment("2026-12-05T07:30"), Some(m));
        assert_eq!(parse_moment("2026-12-05T00:30:00Z"), Some(m));
        assert!(parse_moment("mai").is_none());
    }

    #[test]
    fn each_kind_asks_for_what_it_needs() {
        let e = PostInput {
            kind: "document".into(),
            title: "Quyết định ban hành kế hoạch".into(),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["doc_number", "doc_date", "doc_issuer"]);
        let e = PostInput {
            kind: "page".into(),
            title: "Giới thiệu".into(),
            slug: "Giới thiệu".into(),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(e[0].field, "slug");
        let ok = PostInput {
            kind: "news".into(),
            title: "Ra quân tổ công nghệ số".into(),
            body: "Nội dung".into(),
            pinned: true,
            ..Default::default()
        }
        .check()
        .unwrap();
        assert!(!ok.pinned, "only announcements are pinned");
    }

    #[test]
    fn a_word_diff_shows_what_changed_and_rebuilds_both_texts() {
        let before = "Họp dân lúc 19 giờ tại nhà văn hóa ấp 3.";
        let after = "Họp dân lúc 19 giờ 30 tại nhà văn hóa ấp 4.";
        let d = word_diff(before, after);
        let side = |skip: Diff| -> String {
            d.iter()
                .filter(|(k, _)| *k != skip)
                .map(|(_, t)| t.as_str())
                .collect()
        };
        assert_eq!(side(Diff::Added), before);
        assert_eq!(side(Diff::Removed), after);
        assert!(
            d.contains(&(Diff::Added, " 30".into())) || d.contains(&(Diff::Added, "30 ".into()))
        );
        assert!(d
            .iter()
            .any(|(k, t)| *k == Diff::Removed && t.contains('3')));
    }

    #[test]
    fn contacts_take_hotlines_and_refuse_nonsense() {
        let c = ContactInput {
            name: "Đường dây nóng".into(),
            phone: "1022".into(),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!(c.phone, "1022");
        let e = ContactInput {
            name: "x".into(),
            phone: "12ab".into(),
            email: "không có".into(),
            position: "-1".into(),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["name", "phone", "email", "position"]);
    }

    #[test]
    fn the_workflow_allows_only_its_moves() {
        use PostStatus::*;
        assert!(Draft.may_become(Review));
        assert!(Review.may_become(Published));
        assert!(!Withdrawn.may_become(Published));
        assert!(!Draft.may_become(Withdrawn));
        let now = Utc::now();
        assert!(is_live(Published, None, None, now));
        assert!(!is_live(
            Published,
            Some(now + chrono::Duration::hours(1)),
            None,
            now
        ));
        assert!(!is_live(Review, None, None, now));
    }
}
