//! An uploaded file as the server received it: written to a temporary file piece by piece
//! (in `TMPDIR`), so a recording of 60 MB or an import of 200 MB is never held whole in memory
//! on its way into the file store. The temporary file goes when the value is dropped.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use sha2::{Digest, Sha256};
use tempfile::TempPath;

#[derive(Debug)]
pub struct Spooled {
    /// The name the sender gave the file (for its format, never trusted for its content).
    pub name: String,
    /// Its size in bytes.
    pub len: u64,
    path: TempPath,
}

impl Spooled {
    /// A file written already (by the web layer, as the upload arrived).
    pub fn new(name: String, path: TempPath, len: u64) -> Spooled {
        Spooled { name, len, path }
    }

    /// Bytes kept as a temporary file (the demo, tests, callers that hold them already).
    pub fn from_bytes(name: &str, bytes: &[u8]) -> std::io::Result<Spooled> {
        let mut f = tempfile::NamedTempFile::new()?;
        f.write_all(bytes)?;
        f.flush()?;
        Ok(Spooled::new(
            name.to_string(),
            f.into_temp_path(),
            bytes.len() as u64,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Its first `n` bytes (fewer when it is shorter), to tell its format.
    pub fn head(&self, n: usize) -> std::io::Result<Vec<u8>> {
        let mut head = Vec::with_capacity(n);
        std::fs::File::open(&self.path)?
            .take(n as u64)
            .read_to_end(&mut head)?;
        Ok(head)
    }

    /// Rewrites its first bytes (`head` as read by [`Spooled::head`], changed in place).
    pub(crate) fn set_head(&self, head: &[u8]) -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).open(&self.path)?;
        f.seek(SeekFrom::Start(0))?;
        f.write_all(head)
    }

    /// Its SHA-256 in hex, read in pieces.
    pub fn sha256_hex(&self) -> std::io::Result<String> {
        let mut hash = Sha256::new();
        std::io::copy(&mut std::fs::File::open(&self.path)?, &mut hash)?;
        Ok(hex::encode(hash.finalize()))
    }
}

/// Writes an upload to a temporary file as its pieces arrive.
pub struct Spooler {
    file: tokio::fs::File,
    path: TempPath,
    len: u64,
}

impl Spooler {
    pub fn new() -> std::io::Result<Spooler> {
        let (file, path) = tempfile::NamedTempFile::new()?.into_parts();
        Ok(Spooler {
            file: tokio::fs::File::from_std(file),
            path,
            len: 0,
        })
    }

    pub async fn write(&mut self, piece: &[u8]) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.file.write_all(piece).await?;
        self.len += piece.len() as u64;
        Ok(())
    }

    /// The bytes written so far.
    pub fn written(&self) -> u64 {
        self.len
    }

    /// The whole upload, named as its sender named it.
    pub async fn finish(mut self, name: String) -> std::io::Result<Spooled> {
        use tokio::io::AsyncWriteExt;
        self.file.flush().await?;
        Ok(Spooled::new(name, self.path, self.len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spooled_file_reads_back_and_goes_when_dropped() {
        let s = Spooled::from_bytes("a.wav", b"RIFF0000WAVE-rest").unwrap();
        assert_eq!(s.len, 17);
        assert_eq!(s.head(4).unwrap(), b"RIFF");
        assert_eq!(s.head(100).unwrap().len(), 17);
        s.set_head(b"RIFX").unwrap();
        assert_eq!(s.head(4).unwrap(), b"RIFX");
        assert_eq!(
            s.sha256_hex().unwrap(),
            hex::encode(Sha256::digest(b"RIFX0000WAVE-rest"))
        );
        let path = s.path().to_path_buf();
        assert!(path.starts_with(std::env::temp_dir()));
        assert!(path.exists());
        drop(s);
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn pieces_make_the_whole_file() {
        let mut w = Spooler::new().unwrap();
        for piece in [&b"abc"[..], b"", b"defg"] {
            w.write(piece).await.unwrap();
        }
        let s = w.finish("x.mp3".into()).await.unwrap();
        assert_eq!((s.name.as_str(), s.len), ("x.mp3", 7));
        assert_eq!(std::fs::read(s.path()).unwrap(), b"abcdefg");
    }
}
