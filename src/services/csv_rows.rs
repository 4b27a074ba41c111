//! Reading a CSV whose first row names its columns (in any order and case), as the account
//! and catalog imports take it: the rows come with their line numbers, a row that cannot be
//! read comes as its reason, and a cell is found by its column's name.
use csv::StringRecord;

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("The text could not be read as CSV: {0}")]
    Unreadable(String),
    #[error("The first row must name the columns; missing: {0}.")]
    MissingColumns(String),
}

/// One data row: its line in the file and its cells.
pub struct Row<'a> {
    pub line: usize,
    headers: &'a [String],
    record: &'a StringRecord,
}

impl Row<'_> {
    /// The cell of the column `name` (trimmed), or empty when the row or file has none.
    pub fn get(&self, name: &str) -> String {
        self.headers
            .iter()
            .position(|h| h == name)
            .and_then(|i| self.record.get(i))
            .unwrap_or("")
            .to_string()
    }
}

/// The column names (lower case) and every row, after checking that `required` are there.
pub struct Table {
    headers: Vec<String>,
    records: Vec<(usize, Result<StringRecord, String>)>,
}

impl Table {
    pub fn read(data: &[u8], required: &[&str]) -> Result<Self, CsvError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(data);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| CsvError::Unreadable(e.to_string()))?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|h| !headers.iter().any(|x| x == h))
            .collect();
        if !missing.is_empty() {
            return Err(CsvError::MissingColumns(missing.join(", ")));
        }
        let records = reader
            .records()
            .enumerate()
            .map(|(i, r)| (i + 2, r.map_err(|e| format!("Unreadable row: {e}"))))
            .collect();
        Ok(Self { headers, records })
    }

    /// Each row in order: readable, or its line and why it is not.
    pub fn rows(&self) -> impl Iterator<Item = Result<Row<'_>, (usize, &str)>> {
        self.records.iter().map(|(line, r)| match r {
            Ok(record) => Ok(Row {
                line: *line,
                headers: &self.headers,
                record,
            }),
            Err(why) => Err((*line, why.as_str())),
        })
    }
}
