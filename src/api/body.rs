//! Reading an API request body: JSON only (415 otherwise), at most 64 KiB (413), well-formed
//! (400), and field names whose first letter may be either case (`RegistrationAccount`).
use actix_web::{http::header, web, HttpRequest};
use futures_util::StreamExt;
use serde_json::{Map, Value};

use super::problem::{ApiError, FieldError};

pub const LIMIT: usize = 64 * 1024;

pub async fn read_json(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<(Vec<u8>, Map<String, Value>), ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let media = ct.split(';').next().unwrap_or("").trim();
    if media != "application/json" && !media.ends_with("+json") {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the body as JSON with `Content-Type: application/json`.",
        ));
    }
    let body = read_limited(&mut payload, LIMIT)
        .await
        .map_err(|e| match e {
            BodyError::Unreadable => ApiError::field("body", "The body could not be read."),
            BodyError::TooLarge => ApiError::new(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                format!("The body must be at most {LIMIT} bytes."),
            ),
        })?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::field("body", format!("The body is not valid JSON: {e}.")))?;
    let Value::Object(map) = value else {
        return Err(ApiError::field("body", "The body must be a JSON object."));
    };
    Ok((body, normalise_keys(map)))
}

/// Why a body was not read.
pub enum BodyError {
    /// The connection failed mid-body.
    Unreadable,
    /// Over the limit: reading stopped there.
    TooLarge,
}

/// The whole body, stopping as soon as it exceeds `limit` bytes. Each endpoint turns the
/// error into its own error format (problem details, or OAuth's JSON error).
pub async fn read_limited(payload: &mut web::Payload, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `RegistrationAccount` → `registrationAccount`: the first letter's case is ignored.
pub fn normalise_keys(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .map(|(k, v)| {
            let mut c = k.chars();
            let key = match c.next() {
                Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
                None => k,
            };
            (key, v)
        })
        .collect()
}

/// Field-by-field reading of a JSON object, collecting one message per bad field, and
/// noting each field read with its kind, so what a parser accepts can be compared with the
/// OpenAPI document (see `api::customers::accepted_fields`).
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    pub errors: Vec<FieldError>,
    pub read: Vec<FieldRead>,
}

/// The JSON types a field can be read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    String,
    Bool,
    StringArray,
    Integer,
}

/// A field a parser reads: its name, type, and whether a request must have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRead {
    pub field: String,
    pub kind: FieldKind,
    pub required: bool,
}

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            errors: vec![],
            read: vec![],
        }
    }

    fn note(&mut self, field: &str, kind: FieldKind, required: bool) {
        self.read.push(FieldRead {
            field: field.into(),
            kind,
            required,
        });
    }

    fn err(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// A required, non-empty string.
    pub fn string(&mut self, field: &str) -> String {
        self.note(field, FieldKind::String, true);
        match self.map.get(field) {
            None | Some(Value::Null) => {
                self.err(field, "This field is required.");
                String::new()
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.err(field, "This field must not be empty.");
                String::new()
            }
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                self.err(field, "This field must be a string.");
                String::new()
            }
        }
    }

    pub fn opt_string(&mut self, field: &str) -> Option<String> {
        self.note(field, FieldKind::String, false);
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.err(field, "This field must be a string.");
                None
            }
        }
    }

    pub fn opt_bool(&mut self, field: &str) -> Option<bool> {
        self.note(field, FieldKind::Bool, false);
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.err(field, "This field must be true or false.");
                None
            }
        }
    }

    /// A required whole number.
    pub fn integer(&mut self, field: &str) -> Option<i64> {
        self.note(field, FieldKind::Integer, true);
        match self.map.get(field) {
            None | Some(Value::Null) => {
                self.err(field, "This field is required.");
                None
            }
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
            Some(_) => {
                self.err(field, "This field must be a whole number.");
                None
            }
        }
    }

    /// An optional array of strings (absent: empty).
    pub fn string_array(&mut self, field: &str) -> Vec<String> {
        self.note(field, FieldKind::StringArray, false);
        match self.map.get(field) {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(_) => {
                self.err(field, "This field must be an array of strings.");
                vec![]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_letters_case_is_ignored() {
        let map: Map<String, Value> =
            serde_json::from_str(r#"{"RegistrationAccount":"a@b.co","firstName":"A"}"#).unwrap();
        let n = normalise_keys(map);
        assert!(n.contains_key("registrationAccount") && n.contains_key("firstName"));
    }

    #[test]
    fn each_bad_field_is_named() {
        let map: Map<String, Value> =
            serde_json::from_str(r#"{"a":1,"b":"","c":[1],"d":"x"}"#).unwrap();
        let mut f = Fields::new(&map);
        f.string("a");
        f.string("b");
        f.string_array("c");
        f.opt_bool("d");
        f.string("missing");
        let named: Vec<&str> = f.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["a", "b", "c", "d", "missing"]);
    }
}
