//! Dropbox `content_hash`: SHA-256 of each 4 MiB block, then SHA-256 of the
//! concatenated block digests, as lower-case hex.

use sha2::{Digest, Sha256};

/// Dropbox's block size.
pub const BLOCK: u64 = 4 * 1024 * 1024;

/// Streaming Dropbox content hash.
#[derive(Clone, Default)]
pub struct DropboxHasher {
    block: Sha256,
    in_block: u64,
    overall: Sha256,
}

impl DropboxHasher {
    /// Feeds bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let n = usize::try_from((BLOCK - self.in_block).min(data.len() as u64)).unwrap_or(data.len());
            self.block.update(&data[..n]);
            self.in_block += n as u64;
            data = &data[n..];
            if self.in_block == BLOCK {
                let d = std::mem::take(&mut self.block).finalize();
                self.overall.update(d);
                self.in_block = 0;
            }
        }
    }

    /// The content hash (32 bytes).
    pub fn finish(mut self) -> [u8; 32] {
        if self.in_block > 0 {
            let d = self.block.finalize();
            self.overall.update(d);
        }
        self.overall.finalize().into()
    }
}
