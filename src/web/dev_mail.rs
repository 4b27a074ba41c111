//! `/dev/mail`: the emails the portal wrote to files, readable in the browser with clickable
//! links. Served only when no SMTP server is configured (development).
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use uuid::Uuid;

use super::{ctx::Ctx, fmt_datetime, parse_id, render};
use crate::web::urls;
use crate::{
    auth::MaybePrincipal,
    error::{AppError, AppResult},
    services::mailbox::{self, Mail},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::DEV_MAIL, web::get().to(list))
        .route(urls::DEV_MAIL_ONE, web::get().to(show));
}

pub struct MailRow {
    pub id: Uuid,
    pub to: String,
    pub subject: String,
    pub status: &'static str,
    pub tone: &'static str,
    pub created: String,
}

impl From<&Mail> for MailRow {
    fn from(m: &Mail) -> Self {
        Self {
            id: m.id,
            to: m.to.clone(),
            subject: m.subject.clone(),
            status: m.status.as_str(),
            tone: m.status.tone(),
            created: fmt_datetime(&m.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "dev/mail_list.html")]
struct ListPage {
    ctx: Ctx,
    rows: Vec<MailRow>,
}

fn dev_only(state: &AppState) -> AppResult<()> {
    if state.config.dev_mail() {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybePrincipal,
) -> AppResult<HttpResponse> {
    dev_only(&state)?;
    let rows = mailbox::recent(&state.core)
        .await?
        .iter()
        .map(MailRow::from)
        .collect();
    render(&ListPage {
        ctx: Ctx::new(&req, user.0.as_ref()),
        rows,
    })
}

/// A piece of a text body: plain text, or a link to make clickable.
pub struct Segment {
    pub text: String,
    pub is_link: bool,
}

/// Splits text so that URLs can be rendered as links while everything stays escaped.
pub fn linkify(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = ["http://", "https://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        if start > 0 {
            out.push(Segment {
                text: rest[..start].to_string(),
                is_link: false,
            });
        }
        let end = rest[start..]
            .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .map_or(rest.len(), |e| start + e);
        out.push(Segment {
            text: rest[start..end].to_string(),
            is_link: true,
        });
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        out.push(Segment {
            text: rest.to_string(),
            is_link: false,
        });
    }
    out
}

#[derive(Template)]
#[template(path = "dev/mail_show.html")]
struct ShowPage {
    ctx: Ctx,
    mail: MailRow,
    body: Vec<Segment>,
    last_error: String,
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybePrincipal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    dev_only(&state)?;
    let m = mailbox::find(&state.core, parse_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    render(&ShowPage {
        ctx: Ctx::new(&req, user.0.as_ref()),
        mail: MailRow::from(&m),
        body: linkify(&m.text_body),
        last_error: m.last_error.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_link_segments() {
        let s = linkify("Open http://x.test/a?b=1 now.\nhttps://y.test");
        let links: Vec<_> = s
            .iter()
            .filter(|x| x.is_link)
            .map(|x| x.text.as_str())
            .collect();
        assert_eq!(links, ["http://x.test/a?b=1", "https://y.test"]);
        assert_eq!(s[0].text, "Open ");
    }
}
