//! Where a parse's output goes: the interface between the readers (which
//! produce parts) and the case store (which files them). It lives here, below
//! both, so that neither depends on the other.

use arrow::record_batch::RecordBatch;

use crate::schema::RejectRow;

/// A boxed error from a [`PartSink`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Receives the output of one input, part by part. Parts are numbered from 0 in
/// input order; with parallel parsing they may arrive out of order, so an
/// implementation must file them by number. For one part, `rejects` may be called
/// several times, in record order.
pub trait PartSink: Sync {
    /// The events of part `part`.
    fn events(&self, part: u32, batch: RecordBatch) -> Result<(), BoxError>;
    /// Some rejects of part `part`.
    fn rejects(&self, part: u32, rows: &[RejectRow]) -> Result<(), BoxError>;
    /// Content rows (hashes of files) of part `part` — only file-tree inputs have them.
    fn content(&self, part: u32, batch: RecordBatch) -> Result<(), BoxError>;
}
