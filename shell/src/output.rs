//! Result formats: `table` (aligned, for people), `csv` and `tsv` (header line, RFC 4180
//! quoting), `json` (one object per line).

use std::io::Write;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use auger_engine::display::{json_value, value_text};
use comfy_table::{Cell, ContentArrangement, Table, TableComponent, presets};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Tsv,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write the result: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot format a value: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("cannot write the result: {0}")]
    Csv(#[from] csv::Error),
}

impl OutputError {
    /// The reader of the output has gone (a closed pipe).
    pub fn is_closed_output(&self) -> bool {
        let io = match self {
            OutputError::Io(e) => Some(e),
            OutputError::Csv(e) => match e.kind() {
                csv::ErrorKind::Io(e) => Some(e),
                _ => None,
            },
            OutputError::Arrow(_) => None,
        };
        io.is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// How many rows the `table` format sizes and prints at a time: as psql's `FETCH_COUNT`, each
/// group is a table of its own, so a result of any size is never held whole.
pub const TABLE_GROUP_ROWS: usize = 1_000;

/// Writes batches as they arrive; `table` prints a table for every [`TABLE_GROUP_ROWS`] rows.
pub struct ResultWriter<W: Write> {
    format: OutputFormat,
    out: W,
    schema: SchemaRef,
    table_rows: Vec<Vec<String>>,
    /// The field delimiter of `csv` and `tsv`.
    delimiter: u8,
    wrote_header: bool,
}

impl<W: Write> ResultWriter<W> {
    pub fn new(format: OutputFormat, out: W, schema: SchemaRef) -> Self {
        let delimiter = if format == OutputFormat::Tsv {
            b'\t'
        } else {
            b','
        };
        Self {
            format,
            out,
            schema,
            table_rows: vec![],
            delimiter,
            wrote_header: false,
        }
    }

    fn header(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), OutputError> {
        match self.format {
            OutputFormat::Table => {
                for row in 0..batch.num_rows() {
                    let cells = batch
                        .columns()
                        .iter()
                        .map(|c| value_text(c, row).map(|v| v.unwrap_or_else(|| "null".into())))
                        .collect::<Result<Vec<_>, _>>()?;
                    self.table_rows.push(cells);
                    if self.table_rows.len() == TABLE_GROUP_ROWS {
                        self.print_table()?;
                    }
                }
            }
            OutputFormat::Csv | OutputFormat::Tsv => {
                let header = (!self.wrote_header).then(|| self.header());
                self.wrote_header = true;
                let mut csv = csv::WriterBuilder::new()
                    .delimiter(self.delimiter)
                    .from_writer(&mut self.out);
                if let Some(header) = header {
                    csv.write_record(&header)?;
                }
                for row in 0..batch.num_rows() {
                    let cells = batch
                        .columns()
                        .iter()
                        .map(|c| value_text(c, row).map(Option::unwrap_or_default))
                        .collect::<Result<Vec<_>, _>>()?;
                    csv.write_record(&cells)?;
                }
                csv.flush()?;
            }
            OutputFormat::Json => {
                for row in 0..batch.num_rows() {
                    let mut object = serde_json::Map::new();
                    for (field, column) in self.schema.fields().iter().zip(batch.columns()) {
                        object.insert(field.name().clone(), json_value(column.as_ref(), row)?);
                    }
                    writeln!(self.out, "{}", serde_json::Value::Object(object))?;
                }
            }
        }
        Ok(())
    }

    /// Prints the rows gathered so far as one table.
    fn print_table(&mut self) -> Result<(), OutputError> {
        let mut table = Table::new();
        table
            .load_preset(presets::ASCII_FULL_CONDENSED)
            .set_style(TableComponent::HeaderLines, '-')
            .set_style(TableComponent::MiddleHeaderIntersections, '+')
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(self.header().into_iter().map(Cell::new));
        for row in std::mem::take(&mut self.table_rows) {
            table.add_row(row);
        }
        writeln!(self.out, "{table}")?;
        self.wrote_header = true;
        Ok(())
    }

    pub fn finish(mut self) -> Result<(), OutputError> {
        match self.format {
            OutputFormat::Table => {
                // The last group; an empty result still shows its header.
                if !self.table_rows.is_empty() || !self.wrote_header {
                    self.print_table()?;
                }
            }
            OutputFormat::Csv | OutputFormat::Tsv => {
                if !self.wrote_header {
                    let header = self.header();
                    let mut csv = csv::WriterBuilder::new()
                        .delimiter(self.delimiter)
                        .from_writer(&mut self.out);
                    csv.write_record(&header)?;
                    csv.flush()?;
                }
            }
            OutputFormat::Json => {}
        }
        self.out.flush()?;
        Ok(())
    }
}
