//! `/dev/mail`: the emails the portal wrote to files, readable in the browser with clickable
//! links. Served only when no SMTP server is configured (development).
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{ctx::Ctx, fmt_datetime, render};
use crate::{
    entities::outbox,
    error::{AppError, AppResult},
    startup::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dev/mail", web::get().to(list))
        .route("/dev/mail/{id}", web::get().to(show));
}

pub struct MailRow {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub status: String,
    pub created: String,
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

async fn list(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    dev_only(&state)?;
    let rows = outbox::Entity::find()
        .order_by_desc(outbox::Column::CreatedAt)
        .limit(200)
        .all(&state.core.db.read)
        .await?
        .into_iter()
        .map(|m| MailRow {
            id: m.id.to_string(),
            to: m.to_addr,
            subject: m.subject,
            status: m.status,
            created: fmt_datetime(&m.created_at),
        })
        .collect();
    render(&ListPage {
        ctx: Ctx::new(&req, None),
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
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    dev_only(&state)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let m = outbox::Entity::find_by_id(id)
        .one(&state.core.db.read)
        .await?
        .ok_or(AppError::NotFound)?;
    let body = linkify(&m.text_body);
    render(&ShowPage {
        ctx: Ctx::new(&req, None),
        last_error: m.last_error.unwrap_or_default(),
        mail: MailRow {
            id: m.id.to_string(),
            to: m.to_addr,
            subject: m.subject,
            status: m.status,
            created: fmt_datetime(&m.created_at),
        },
        body,
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
