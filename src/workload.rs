//! Benchmark workloads: the neutral JSON format of the peer benchmarks
//! (`shared/bench/README.md`) translated into trawl rule files.
//!
//! A workload has lexicons (matched case-insensitively) and rules, each a
//! label and a list of token specs with an optional repetition `op`:
//!
//! | spec | trawl |
//! |---|---|
//! | `{"text": "x"}` / list | `"x"` / `("a" \| "b")` |
//! | `{"lower": "x"}` / list | `"x"i` / `("a"i \| "b"i)` |
//! | `{"lexicon": "NAME"}` | `NAME` (a lexicon `with case ignore`) |
//! | `{"shape": "Xxxx"}` | `[shape = "Xxxx"]` |
//! | `{"is_title": true}` | `title` (`[!title]` for false) |
//! | `{"is_digit": true}` | `/^\p{Nd}+$/` |
//! | `{"regex": "..."}` | `/.../` (searched in the token, as Python's `re.search`) |
//!
//! In the benchmark the matches of different rules are independent, so every
//! rule is `keep all`: each rule's own matches are leftmost and
//! non-overlapping, and nothing is resolved across rules. The translation is
//! a set of files (the rule file and one `.tsv` per lexicon) that can be
//! written out and read like any rule pack.

use serde_json::Value;

/// The translated files: `(path, contents)`, the rule file first.
#[derive(Debug, Clone)]
pub struct Translation {
    /// The workload's name.
    pub name: String,
    /// Rule names, in order.
    pub rules: Vec<String>,
    /// Labels, by rule.
    pub labels: Vec<String>,
    /// `(relative path, contents)`; the first is the rule file.
    pub files: Vec<(String, String)>,
}

fn ident(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if crate::syntax::RESERVED.contains(&out.as_str())
        || crate::check::hir::Class::from_name(&out).is_some()
        || out == "any"
    {
        out.insert(0, '_');
    }
    out
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn strings(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => {
            items.iter().map(|i| i.as_str().map(str::to_string).ok_or("expected a string".to_string())).collect()
        }
        _ => Err("expected a string or a list of strings".into()),
    }
}

fn alternatives(items: Vec<String>, flag: &str) -> String {
    let parts: Vec<String> =
        items.iter().filter(|s| !s.trim().is_empty()).map(|s| format!("{}{flag}", quote(s))).collect();
    if parts.len() == 1 {
        parts[0].clone()
    } else {
        format!("({})", parts.join(" | "))
    }
}

fn element(
    spec: &serde_json::Map<String, Value>,
    lexicons: &[String],
    lex_ident: &dyn Fn(&str) -> String,
) -> Result<String, String> {
    let keys: Vec<&String> = spec.keys().filter(|k| *k != "op").collect();
    let [key] = keys.as_slice() else { return Err(format!("a token spec needs exactly one key: {spec:?}")) };
    let v = &spec[key.as_str()];
    let el = match key.as_str() {
        "text" => alternatives(strings(v)?, ""),
        "lower" => alternatives(strings(v)?, "i"),
        "lexicon" => {
            let name = v.as_str().ok_or("lexicon must be a name")?;
            if !lexicons.iter().any(|l| l == name) {
                return Err(format!("unknown lexicon {name}"));
            }
            lex_ident(name)
        }
        "shape" => format!("[shape = {}]", quote(v.as_str().ok_or("shape must be a string")?)),
        "is_title" => {
            if v.as_bool() == Some(false) {
                "[!title]".into()
            } else {
                "title".into()
            }
        }
        "is_digit" => {
            if v.as_bool() == Some(false) {
                "[!/^\\p{Nd}+$/]".into()
            } else {
                "/^\\p{Nd}+$/".into()
            }
        }
        "regex" => format!("/{}/", v.as_str().ok_or("regex must be a string")?.replace('/', "\\/")),
        other => return Err(format!("unknown token spec `{other}`")),
    };
    Ok(match spec.get("op").and_then(Value::as_str) {
        None => el,
        Some(op) => format!("{el}{op}"),
    })
}

/// Translates a workload (its JSON text) into rule files.
pub fn translate(json: &str) -> Result<Translation, String> {
    let w: Value = serde_json::from_str(json).map_err(|e| format!("workload: {e}"))?;
    let name = w.get("name").and_then(Value::as_str).unwrap_or("workload").to_string();
    let mut files = vec![];
    let mut head = format!("# Translated from the benchmark workload `{name}` by `trawl workload`.\n");
    if let Some(d) = w.get("description").and_then(Value::as_str) {
        head.push_str(&format!("# {}\n", d.replace('\n', " ")));
    }
    head.push('\n');
    let rule_list = w.get("rules").and_then(Value::as_array).ok_or("workload has no rules")?;
    let label_idents: Vec<String> = rule_list
        .iter()
        .map(|r| ident(r.get("label").or(r.get("name")).and_then(Value::as_str).unwrap_or("")))
        .collect();
    // A lexicon's name must not be a label some rule emits.
    let lex_ident = |l: &str| {
        let id = ident(l);
        if label_idents.contains(&id) {
            format!("{id}_lexicon")
        } else {
            id
        }
    };
    let mut lexicon_names = vec![];
    if let Some(lex) = w.get("lexicons").and_then(Value::as_object) {
        for (lname, entries) in lex {
            let entries = strings(entries).map_err(|e| format!("lexicon {lname}: {e}"))?;
            let path = format!("lexicons/{}.tsv", lex_ident(lname));
            let mut body = String::new();
            let mut seen = std::collections::HashSet::new();
            for e in entries {
                let e = e.replace(['\t', '\n', '\r'], " ");
                // One line per entry; lines starting with `#` would be comments.
                if e.trim().is_empty() || e.starts_with('#') || !seen.insert(e.to_lowercase()) {
                    continue;
                }
                body.push_str(&e);
                body.push('\n');
            }
            head.push_str(&format!("lexicon {} = file {} with case ignore\n", lex_ident(lname), quote(&path)));
            files.push((path, body));
            lexicon_names.push(lname.clone());
        }
    }
    head.push('\n');
    let mut rules = vec![];
    let mut labels = vec![];
    for r in rule_list {
        let rname = r.get("name").and_then(Value::as_str).ok_or("a rule has no name")?;
        let label = r.get("label").and_then(Value::as_str).unwrap_or(rname);
        let pattern = r.get("pattern").and_then(Value::as_array).ok_or(format!("rule {rname} has no pattern"))?;
        let els: Vec<String> = pattern
            .iter()
            .map(|s| {
                s.as_object()
                    .ok_or("a token spec must be an object".to_string())
                    .and_then(|o| element(o, &lexicon_names, &lex_ident))
            })
            .collect::<Result<_, _>>()
            .map_err(|e| format!("rule {rname}: {e}"))?;
        head.push_str(&format!("rule {} {{ match {} emit {} keep all }}\n", ident(rname), els.join(" "), ident(label)));
        rules.push(ident(rname));
        labels.push(label.to_string());
    }
    files.insert(0, (format!("{}.trawl", ident(&name)), head));
    Ok(Translation { name, rules, labels, files })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_every_spec() {
        let w = r#"{"name": "t", "lexicons": {"TITLE": ["President", "Prime Minister"]},
            "rules": [{"name": "person_title", "label": "PERSON", "pattern": [{"lexicon": "TITLE"}, {"is_title": true, "op": "{1,3}"}]},
                      {"name": "x", "pattern": [{"text": ["a", "b"]}, {"lower": "c", "op": "?"}, {"shape": "dddd"},
                       {"is_digit": true}, {"regex": "^a/b$"}, {"is_title": false, "op": "*"}]}]}"#;
        let t = translate(w).expect("translates");
        assert_eq!(t.files[1], ("lexicons/TITLE.tsv".to_string(), "President\nPrime Minister\n".to_string()));
        let rules = &t.files[0].1;
        assert!(rules.contains("rule person_title { match TITLE title{1,3} emit PERSON keep all }"), "{rules}");
        assert!(
            rules.contains(
                r#"rule x { match ("a" | "b") "c"i? [shape = "dddd"] /^\p{Nd}+$/ /^a\/b$/ [!title]* emit x keep all }"#
            ),
            "{rules}"
        );
    }
}
