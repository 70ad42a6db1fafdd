//! CSV lines as the admin writes them: CRLF line ends, quoted where needed, and
//! every cell that a spreadsheet would run as a formula defused.

use std::borrow::Cow;

/// Defuses a CSV cell that a spreadsheet would run as a formula: text that starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`. Quoting
/// is the CSV writer's ([`lines`]); an import takes the `'` off again.
#[must_use]
pub fn cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// CSV lines (CRLF-terminated, quoted where needed, every cell defused by
/// [`cell`]) of `rows`.
///
/// # Errors
/// When the writer fails (it writes to memory: in practice, never).
pub fn lines(rows: impl IntoIterator<Item = Vec<String>>) -> std::io::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for row in rows {
        let cells: Vec<Cow<'_, str>> = row.iter().map(|c| cell(c)).collect();
        w.write_record(cells.iter().map(|c| c.as_bytes()))?;
    }
    w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::lines;

    fn line(cell: &str) -> String {
        String::from_utf8(lines([vec![cell.to_owned()]]).unwrap()).unwrap()
    }

    #[test]
    fn csv_cells_are_defused_and_quoted() {
        assert_eq!(line("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"\r\n");
        assert_eq!(line("+1"), "'+1\r\n");
        assert_eq!(line("-5"), "'-5\r\n");
        assert_eq!(line("@SUM(A1)"), "'@SUM(A1)\r\n");
        assert_eq!(line("\tx"), "'\tx\r\n");
        assert_eq!(line("a,b"), "\"a,b\"\r\n");
        assert_eq!(line("two\nlines"), "\"two\nlines\"\r\n");
        assert_eq!(line("plain"), "plain\r\n");
        let two =
            lines([vec!["a".to_owned(), "=b".to_owned()], vec![String::new(), "c".to_owned()]]).unwrap();
        assert_eq!(&two[..], b"a,'=b\r\n,c\r\n");
    }
}
