//! The layers of `src/`, held by a test: every `use` path (and every inline `crate::…` or
//! `super::…` path) of every file is read, and an import of a module from a higher layer, of
//! a same-layer module not named as a peer below, or of `entities` from a face fails the test
//! with the file and the line.
//!
//! The layers, lowest first (each may import the layers below it):
//!
//! | layer | modules | owns |
//! |---|---|---|
//! | 0 | `domain` | types and rules: no I/O, no database, no HTTP |
//! | 1 | `entities`, `db`, `payments`, `security`, `telemetry`, `documents` | tables, connections, gateways, primitives, PDF layout |
//! | 2 | `config`, `email` | settings read once; rendering and sending mail |
//! | 3 | `services`, `seed` | every business operation, one transaction each; the demo's (and, with the `bench` feature, the benchmark's) data, written through them |
//! | 4 | `auth`, `error`, `state`, `web`, `api` | the two faces and what they share |
//! | 5 | `startup`, `cli`, `main`, `lib` | the composition root and the command line |
use std::{collections::BTreeMap, path::Path};

/// The layers, lowest first.
pub const LAYERS: &[&[&str]] = &[
    &["domain"],
    &[
        "entities",
        "db",
        "payments",
        "security",
        "telemetry",
        "documents",
    ],
    &["config", "email"],
    &["services", "seed"],
    &["auth", "error", "state", "web", "api"],
    &["startup", "cli", "main", "lib"],
];

/// Imports allowed within a layer (importer, imported).
pub const PEERS: &[(&str, &str)] = &[
    ("security", "entities"),
    ("email", "config"),
    ("auth", "error"),
    ("auth", "state"),
    ("error", "web"),
    ("state", "api"),
    ("web", "auth"),
    ("web", "error"),
    ("web", "state"),
    ("api", "error"),
    ("api", "state"),
    ("cli", "startup"),
    ("seed", "services"),
];

/// The faces (and what serves only them) never touch a table's entity: they go through
/// `services`.
pub const NO_ENTITIES: &[&str] = &["auth", "error", "state", "web", "api"];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// A broken rule: where, and what.
#[derive(Debug, PartialEq, Eq)]
pub struct Breach {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The module path of a file under `src/` (`src/services/orders/place.rs` →
/// `services::orders::place`; `mod.rs` is its folder).
fn module_path(file: &str) -> Vec<String> {
    let rel = file.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The top-level modules a path names, from the position after `crate::` or a chain of
/// `super::` (braces expanded one level: `crate::{a, b::c}` names `a` and `b`).
fn targets(file: &str, path: &str) -> Vec<String> {
    let here = module_path(file);
    let (base, rest): (Vec<String>, &str) = if let Some(rest) = path.strip_prefix("crate::") {
        (Vec::new(), rest)
    } else {
        let mut rest = path;
        let mut up = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            up += 1;
            rest = r;
        }
        // A file's own module is `here`; `super` is its parent.
        let mut base = here.clone();
        for _ in 0..up {
            base.pop();
        }
        (base, rest)
    };
    if !base.is_empty() {
        // Still inside a top-level module: its own, never a breach.
        return vec![base[0].clone()];
    }
    let rest = rest.trim();
    if let Some(inner) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut names = Vec::new();
        let mut cur = String::new();
        for ch in inner.chars() {
            match ch {
                '{' => {
                    depth += 1;
                    cur.push(ch);
                }
                '}' if depth == 0 => break,
                '}' => {
                    depth -= 1;
                    cur.push(ch);
                }
                ',' if depth == 0 => names.push(std::mem::take(&mut cur)),
                _ => cur.push(ch),
            }
        }
        names.push(cur);
        names
            .iter()
            .filter_map(|n| {
                let n = n.trim();
                let end = n
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(n.len());
                (end > 0).then(|| n[..end].to_string())
            })
            .filter(|n| n != "self")
            .collect()
    } else {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        vec![rest[..end].to_string()]
    }
}

/// Every module a file imports, with the line it is named on.
fn imports(file: &str, text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let code: Vec<&str> = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect();
    let mut i = 0;
    while i < code.len() {
        let line = code[i];
        let trimmed = line.trim_start();
        let after_use = trimmed
            .strip_prefix("pub use ")
            .or_else(|| trimmed.strip_prefix("pub(crate) use "))
            .or_else(|| trimmed.strip_prefix("use "));
        if let Some(start) =
            after_use.filter(|s| s.starts_with("crate::") || s.starts_with("super::"))
        {
            // A use statement, possibly over several lines.
            let mut stmt = start.to_string();
            let first = i;
            while !stmt.contains(';') && i + 1 < code.len() {
                i += 1;
                stmt.push_str(code[i]);
            }
            for t in targets(file, stmt.trim_end_matches(';')) {
                out.push((first + 1, t));
            }
        } else {
            for (pos, _) in line.match_indices("crate::") {
                let before = &line[..pos];
                if before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    continue; // partner_portal_crate:: or similar
                }
                for t in targets(file, &line[pos..]) {
                    out.push((i + 1, t));
                }
            }
            for (pos, _) in line.match_indices("super::") {
                let before = &line[..pos];
                if before.ends_with("super::")
                    || before.ends_with(|c: char| c.is_alphanumeric() || c == '_')
                {
                    continue;
                }
                for t in targets(file, &line[pos..]) {
                    out.push((i + 1, t));
                }
            }
        }
        i += 1;
    }
    out
}

/// The rules broken by the files (path under the crate, text).
pub fn breaches(files: &BTreeMap<String, String>) -> Vec<Breach> {
    let mut out = Vec::new();
    for (file, text) in files {
        let from = module_path(file)[0].clone();
        let Some(from_layer) = layer_of(&from) else {
            out.push(Breach {
                file: file.clone(),
                line: 1,
                message: format!("`{from}` is in no layer: add it to LAYERS"),
            });
            continue;
        };
        for (line, to) in imports(file, text) {
            if to == from {
                continue;
            }
            let Some(to_layer) = layer_of(&to) else {
                continue; // a name that is not a top-level module (a macro, a type)
            };
            let message = if NO_ENTITIES.contains(&from.as_str()) && to == "entities" {
                Some(format!(
                    "`{from}` imports `entities`: faces go through `services`"
                ))
            } else if to_layer > from_layer {
                Some(format!(
                    "`{from}` (layer {from_layer}) imports `{to}` (layer {to_layer}), a higher layer"
                ))
            } else if to_layer == from_layer && !PEERS.contains(&(from.as_str(), to.as_str())) {
                Some(format!(
                    "`{from}` imports `{to}` of its own layer, which PEERS does not allow"
                ))
            } else {
                None
            };
            if let Some(message) = message {
                out.push(Breach {
                    file: file.clone(),
                    line,
                    message,
                });
            }
        }
    }
    out
}

fn sources() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = BTreeMap::new();
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn every_import_follows_the_layers() {
    let found = breaches(&sources());
    assert!(
        found.is_empty(),
        "layer rules broken:\n{}",
        found
            .iter()
            .map(|b| format!("  {}:{}: {}", b.file, b.line, b.message))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_planted_import_is_caught_with_its_file_and_line() {
    let mut files = sources();
    let planted = [
        // A service reaching up into the web face.
        (
            "src/services/accounts.rs",
            "use crate::web::urls;",
            "`services` (layer 3) imports `web`",
        ),
        // A handler reading a table directly, grouped and over two lines.
        (
            "src/web/partner/home.rs",
            "use crate::{\n    domain::Money,\n    entities::partners,\n};",
            "`web` imports `entities`",
        ),
        // The domain reaching a service through `super`.
        (
            "src/domain/money.rs",
            "fn f() { super::super::services::sentence(\"x\"); }",
            "`domain` (layer 0) imports `services`",
        ),
        // One face calling the other.
        (
            "src/api/orders.rs",
            "use crate::web::urls::HOME;",
            "`api` imports `web` of its own layer",
        ),
    ];
    for (file, code, expected) in planted {
        let mut text = files[file].clone();
        let line = text.lines().count() + 1;
        text.push('\n');
        text.push_str(code);
        files.insert(file.to_string(), text);
        let found = breaches(&files);
        assert!(
            found
                .iter()
                .any(|b| b.file == file && b.line >= line && b.message.contains(expected)),
            "{file}: planted `{code}` not caught; found {found:?}"
        );
        files = sources();
    }
}
