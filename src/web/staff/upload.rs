//! A CSV that staff upload as a file or paste as text (the account and catalog imports).
use actix_multipart::form::{bytes::Bytes as MpBytes, text::Text, MultipartForm};
use actix_session::SessionExt;
use actix_web::{http::header, web, FromRequest, HttpRequest};
use serde::Deserialize;

use crate::{
    auth::csrf::{self, CsrfForm},
    error::{AppError, AppResult},
};

/// The largest import form accepted (about a megabyte of CSV, as a file or URL-encoded text).
pub const IMPORT_LIMIT: usize = 2 * 1024 * 1024;

/// The pasted text, from a form without a file (scripts, older clients).
#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportParams {
    csv: String,
}

/// The page's form: a .csv file, or the text pasted instead.
#[derive(MultipartForm)]
struct ImportUpload {
    csrf_token: Option<Text<String>>,
    #[multipart(limit = "1MiB")]
    file: Option<MpBytes>,
    #[multipart(limit = "1MiB")]
    csv: Option<Text<String>>,
}

/// The CSV text of an import form: the file when one was chosen, else the pasted text. The
/// CSRF token is checked either way (a multipart form carries it as a field).
pub async fn csv_text(
    req: &HttpRequest,
    payload: web::Payload,
) -> AppResult<Result<String, &'static str>> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut payload = payload.into_inner();
    if !multipart {
        let form = CsrfForm::<ImportParams>::from_request(req, &mut payload).await?;
        return Ok(Ok(form.0.csv));
    }
    let form = MultipartForm::<ImportUpload>::from_request(req, &mut payload)
        .await
        .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?
        .into_inner();
    let sent = form.csrf_token.as_ref().map(|t| t.as_str());
    csrf::check(req, &req.get_session(), sent)?;
    match form.file.filter(|f| !f.data.is_empty()) {
        Some(file) => {
            let data = file
                .data
                .strip_prefix(b"\xEF\xBB\xBF")
                .unwrap_or(&file.data);
            Ok(String::from_utf8(data.to_vec())
                .map_err(|_| "The file is not UTF-8 text. Save it from your spreadsheet as \"CSV UTF-8\" and choose it again."))
        }
        None => Ok(Ok(form.csv.map(|t| t.into_inner()).unwrap_or_default())),
    }
}

/// The CSV of an import form, or the field to blame and why: a file that is not UTF-8
/// (`file`), or neither a file nor text (`csv`).
pub async fn read_csv(
    req: &HttpRequest,
    payload: web::Payload,
) -> AppResult<Result<String, (&'static str, &'static str)>> {
    Ok(match csv_text(req, payload).await? {
        Err(problem) => Err(("file", problem)),
        Ok(csv) if csv.trim().is_empty() => Err((
            "csv",
            "Choose a .csv file, or paste the CSV text starting with the row of column names.",
        )),
        Ok(csv) => Ok(csv),
    })
}
