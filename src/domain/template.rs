//! Message templates: `{{ variable }}` placeholders over plain text, checked when a template is
//! saved (an unknown variable or a stray brace is refused then, never at send time) and rendered
//! per message as plain text, or as HTML with every value escaped.

use crate::render::escape;

/// The variables a template may use.
pub const VARIABLES: [&str; 8] = [
    "company",
    "customer",
    "contact_name",
    "invoice_table",
    "total_overdue",
    "pay_link",
    "collector_name",
    "collector_phone",
];

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Variable(&'a str),
}

/// Why a template cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown variable {{{{ {0} }}}}; known: {known}", known = VARIABLES.join(", "))]
    UnknownVariable(String),
    #[error("a {{{{ at character {0} is not closed with }}}}")]
    Unclosed(usize),
    #[error("a }}}} at character {0} has no {{{{ before it")]
    StrayClose(usize),
}

/// Splits a template into text and variables, refusing unknown names and unbalanced braces.
pub fn parse(source: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = source;
    let mut offset = 0;
    while let Some(open) = rest.find("{{") {
        let before = &rest[..open];
        if let Some(stray) = before.find("}}") {
            return Err(TemplateError::StrayClose(char_index(
                source,
                offset + stray,
            )));
        }
        if !before.is_empty() {
            pieces.push(Piece::Text(before));
        }
        let inside = &rest[open + 2..];
        let Some(close) = inside.find("}}") else {
            return Err(TemplateError::Unclosed(char_index(source, offset + open)));
        };
        let name = inside[..close].trim();
        if name.contains("{{") || !VARIABLES.contains(&name) {
            return Err(TemplateError::UnknownVariable(
                name.chars().take(40).collect(),
            ));
        }
        pieces.push(Piece::Variable(name));
        let consumed = open + 2 + close + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    if let Some(stray) = rest.find("}}") {
        return Err(TemplateError::StrayClose(char_index(
            source,
            offset + stray,
        )));
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

fn char_index(source: &str, byte: usize) -> usize {
    source[..byte].chars().count() + 1
}

/// The values of one message. `invoice_table_html` is already HTML; every other value is text.
pub trait Values {
    fn text(&self, name: &str) -> String;
    fn invoice_table_html(&self) -> String;
}

/// The template as plain text.
pub fn render_text(pieces: &[Piece<'_>], values: &impl Values) -> String {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => (*text).to_owned(),
            Piece::Variable(name) => values.text(name),
        })
        .collect()
}

/// The template as HTML: text and values escaped, line breaks kept, the invoice table a table.
pub fn render_html(pieces: &[Piece<'_>], values: &impl Values) -> String {
    let body: String = pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => escape(text).replace('\n', "<br>\n"),
            Piece::Variable("invoice_table") => values.invoice_table_html(),
            Piece::Variable("pay_link") => {
                let url = escape(&values.text("pay_link"));
                if url.is_empty() {
                    String::new()
                } else {
                    format!("<a href=\"{url}\">{url}</a>")
                }
            }
            Piece::Variable(name) => escape(&values.text(name)),
        })
        .collect();
    format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;color:#1d2433\">{body}</body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sample;
    impl Values for Sample {
        fn text(&self, name: &str) -> String {
            match name {
                "customer" => "<Acme & Co>".into(),
                "pay_link" => "https://pay.example/p/1".into(),
                other => format!("[{other}]"),
            }
        }
        fn invoice_table_html(&self) -> String {
            "<table></table>".into()
        }
    }

    #[test]
    fn known_variables_render_and_unknown_ones_are_refused() {
        let pieces = parse("Sayın {{ customer }},\n{{pay_link}} {{company}}").unwrap();
        assert_eq!(
            render_text(&pieces, &Sample),
            "Sayın <Acme & Co>,\nhttps://pay.example/p/1 [company]"
        );
        let html = render_html(&pieces, &Sample);
        assert!(html.contains("&lt;Acme &amp; Co&gt;,<br>"), "{html}");
        assert!(
            html.contains("<a href=\"https://pay.example/p/1\">"),
            "{html}"
        );
        assert_eq!(
            parse("Hi {{ amount }}"),
            Err(TemplateError::UnknownVariable("amount".into()))
        );
    }

    #[test]
    fn broken_braces_are_refused_with_where() {
        assert_eq!(parse("Hi {{ customer"), Err(TemplateError::Unclosed(4)));
        assert_eq!(parse("Hi }} there"), Err(TemplateError::StrayClose(4)));
        assert_eq!(parse("{{company}} }}"), Err(TemplateError::StrayClose(13)));
        assert!(matches!(
            parse("{{ {{customer}} }}"),
            Err(TemplateError::UnknownVariable(_))
        ));
        assert_eq!(
            parse("no variables").unwrap(),
            vec![Piece::Text("no variables")]
        );
    }
}
