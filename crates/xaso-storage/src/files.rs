//! The file store (photos, evidence, documents, audio, stamp sheets) through `object_store`: a
//! local folder by default, or any S3-compatible store when `files_url` names one
//! (`s3://bucket/prefix`, with endpoint, region and credentials from the `AWS_*` environment).
//! Metadata rows live in the database; this holds only bytes, so every server instance that
//! shares the database and the store sees the same files.

use std::sync::Arc;

use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::io::{AsyncRead, AsyncWriteExt};

/// How much of a file is held in memory on its way into the store: past this, the store gets
/// it as a multipart upload in pieces of this size (S3 wants at least 5 MiB per piece).
const PIECE: usize = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("file store: {0}")]
    Store(#[from] object_store::Error),
    #[error("file store address `{0}`: {1}")]
    Address(String, String),
    #[error("file store: {0}")]
    Io(#[from] std::io::Error),
}

impl FilesError {
    /// The file is not there (a 404 rather than a fault).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            FilesError::Store(object_store::Error::NotFound { .. })
        )
    }
}

/// Where uploaded files are kept. Cheap to clone.
#[derive(Clone)]
pub struct Files {
    inner: Arc<dyn ObjectStore>,
    /// Where, for logs and messages (`s3://bucket/prefix` or the folder), never a secret.
    place: Arc<str>,
}

/// Bytes as they come from the store, in pieces.
pub type ByteStream = std::pin::Pin<
    Box<dyn Stream<Item = std::result::Result<bytes::Bytes, FilesError>> + Send + 'static>,
>;

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Files({})", self.place)
    }
}

impl Files {
    /// Files under a local folder (created if missing).
    pub fn local(dir: &std::path::Path) -> std::io::Result<Files> {
        std::fs::create_dir_all(dir)?;
        let fs = LocalFileSystem::new_with_prefix(dir).map_err(std::io::Error::other)?;
        Ok(Files {
            inner: Arc::new(fs),
            place: dir.display().to_string().into(),
        })
    }

    /// The store a `files_url` names: `s3://bucket` or `s3://bucket/prefix` (an S3-compatible
    /// store; endpoint, region and keys from `AWS_ENDPOINT`, `AWS_REGION`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`; `AWS_ALLOW_HTTP=true` for a plain-HTTP
    /// endpoint on a private network), or `file:///folder`.
    pub fn open(url: &str) -> Result<Files, FilesError> {
        let bad = |why: &str| FilesError::Address(url.to_string(), why.to_string());
        if let Some(dir) = url.strip_prefix("file://") {
            return Files::local(std::path::Path::new(dir)).map_err(|e| bad(&e.to_string()));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(bad("expected s3://bucket/prefix or file:///folder"));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(bad("no bucket"));
        }
        install_tls_provider();
        let s3 = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()?;
        let prefix = prefix.trim_matches('/');
        let inner: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(PrefixStore::new(s3, prefix))
        };
        Ok(Files {
            inner,
            place: format!("s3://{bucket}/{prefix}").into(),
        })
    }

    /// Where the files are, for logs (no credentials).
    pub fn place(&self) -> &str {
        &self.place
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), FilesError> {
        self.inner
            .put(&Path::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// Writes the local file `from` under `key` piece by piece, so a large upload is never
    /// held whole in memory; returns its size. Nothing is left under `key` if it fails.
    pub async fn put_file(&self, key: &str, from: &std::path::Path) -> Result<u64, FilesError> {
        let file = tokio::fs::File::open(from).await?;
        self.put_reader(key, file).await
    }

    async fn put_reader(
        &self,
        key: &str,
        mut from: impl AsyncRead + Unpin,
    ) -> Result<u64, FilesError> {
        let mut to = self.writer(key);
        match tokio::io::copy(&mut from, &mut to).await {
            Ok(n) => {
                to.shutdown().await?;
                Ok(n)
            }
            Err(e) => {
                let _ = to.abort().await;
                Err(e.into())
            }
        }
    }

    /// A writer that sends what it is given in [`PIECE`]s (one plain write when smaller).
    fn writer(&self, key: &str) -> BufWriter {
        BufWriter::with_capacity(self.inner.clone(), Path::from(key), PIECE).with_max_concurrency(2)
    }

    /// A file's size and SHA-256, read as a stream.
    pub async fn digest(&self, key: &str) -> Result<(u64, [u8; 32]), FilesError> {
        use sha2::{Digest, Sha256};
        let mut stream = self.inner.get(&Path::from(key)).await?.into_stream();
        let (mut hash, mut size) = (Sha256::new(), 0u64);
        while let Some(piece) = stream.try_next().await? {
            size += piece.len() as u64;
            hash.update(&piece);
        }
        Ok((size, hash.finalize().into()))
    }

    /// Copies `key` from `self` into `to` piece by piece; returns the SHA-256 of what was read.
    async fn copy_one(&self, key: &str, to: &Files) -> Result<[u8; 32], FilesError> {
        use sha2::{Digest, Sha256};
        let mut stream = self.inner.get(&Path::from(key)).await?.into_stream();
        let mut hash = Sha256::new();
        let mut w = to.writer(key);
        loop {
            let piece = match stream.try_next().await {
                Ok(Some(piece)) => piece,
                Ok(None) => break,
                Err(e) => {
                    let _ = w.abort().await;
                    return Err(e.into());
                }
            };
            hash.update(&piece);
            if let Err(e) = w.write_all(&piece).await {
                let _ = w.abort().await;
                return Err(e.into());
            }
        }
        w.shutdown().await?;
        Ok(hash.finalize().into())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, FilesError> {
        let got = self.inner.get(&Path::from(key)).await?;
        Ok(got.bytes().await?.to_vec())
    }

    /// A file's size in bytes.
    pub async fn size(&self, key: &str) -> Result<u64, FilesError> {
        Ok(self.inner.head(&Path::from(key)).await?.size)
    }

    /// Bytes `start..end` of a file as a stream of pieces, so a large file is never held
    /// whole in memory on its way to a client.
    pub async fn stream_range(
        &self,
        key: &str,
        start: u64,
        end: u64,
    ) -> Result<ByteStream, FilesError> {
        let opts = object_store::GetOptions {
            range: Some((start..end).into()),
            ..Default::default()
        };
        let got = self.inner.get_opts(&Path::from(key), opts).await?;
        Ok(got.into_stream().map_err(FilesError::from).boxed())
    }

    /// Every file's key and size (for backups and migrations), in no particular order.
    pub async fn list(&self) -> Result<Vec<(String, u64)>, FilesError> {
        let mut out = Vec::new();
        let mut stream = self.inner.list(None);
        while let Some(meta) = stream.try_next().await? {
            out.push((meta.location.to_string(), meta.size));
        }
        Ok(out)
    }

    pub async fn delete(&self, key: &str) -> Result<(), FilesError> {
        self.inner.delete(&Path::from(key)).await?;
        Ok(())
    }
}

/// Files written for a change whose transaction has not committed yet. Dropped before
/// [`Pending::kept`] (the change failed, or lost a race to a duplicate), it deletes them in the
/// background, so a change that stored nothing leaves no file behind.
pub struct Pending {
    files: Files,
    keys: Vec<String>,
}

impl Files {
    pub fn pending(&self) -> Pending {
        Pending {
            files: self.clone(),
            keys: Vec::new(),
        }
    }
}

impl Pending {
    /// Writes `bytes` under `key`, to be deleted unless the change is kept.
    pub async fn put(&mut self, key: &str, bytes: Vec<u8>) -> Result<(), FilesError> {
        self.files.put(key, bytes).await?;
        self.keys.push(key.to_string());
        Ok(())
    }

    /// The change committed: its files stay.
    pub fn kept(mut self) {
        self.keys.clear();
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let keys = std::mem::take(&mut self.keys);
        if keys.is_empty() {
            return;
        }
        let files = self.files.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                for key in keys {
                    if let Err(e) = files.delete(&key).await {
                        tracing::warn!(key, error = %e, "a file of a change not stored was not deleted");
                    }
                }
            });
        }
    }
}

/// What a copy between stores did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Copied {
    /// Files written to the target and read back with the same SHA-256.
    pub copied: usize,
    /// Files the target already held with the same size and SHA-256.
    pub already: usize,
    pub bytes: u64,
}

impl Files {
    /// Copies every file of this store into `to` (streamed, piece by piece), then reads each
    /// back and compares SHA-256 digests; stops at the first file that does not match (nothing
    /// here is changed or deleted, so it can simply be run again). Files already there and
    /// equal are skipped.
    pub async fn copy_into(
        &self,
        to: &Files,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Copied, FilesError> {
        let mut list = self.list().await?;
        list.sort();
        let mut out = Copied::default();
        let total = list.len();
        for (i, (key, size)) in list.into_iter().enumerate() {
            let (_, want) = self.digest(&key).await?;
            let present = match to.digest(&key).await {
                Ok(there) => there == (size, want),
                Err(e) if e.is_not_found() => false,
                Err(e) => return Err(e),
            };
            if present {
                out.already += 1;
            } else {
                let sent = self.copy_one(&key, to).await?;
                let (_, back) = to.digest(&key).await?;
                if sent != want || back != want {
                    return Err(FilesError::Address(
                        to.place().to_string(),
                        format!("{key} reads back different from what was written"),
                    ));
                }
                out.copied += 1;
            }
            out.bytes += size;
            progress(i + 1, total);
        }
        Ok(out)
    }
}

/// rustls needs one crypto provider for the process; ring is the one already built (sqlx,
/// reqwest). Installing twice is harmless.
fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file larger than one piece goes in as a multipart upload and comes back the same;
    /// a copy into another store is verified and a second copy finds it there.
    #[tokio::test]
    async fn a_large_file_goes_in_by_pieces_and_copies_verified() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::local(&dir.path().join("a")).unwrap();
        let body: Vec<u8> = (0..PIECE * 2 + 12345)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let src = dir.path().join("upload");
        std::fs::write(&src, &body).unwrap();
        assert_eq!(
            files.put_file("big/one.bin", &src).await.unwrap(),
            body.len() as u64
        );
        assert_eq!(files.get("big/one.bin").await.unwrap(), body);
        let other = Files::local(&dir.path().join("b")).unwrap();
        let first = files.copy_into(&other, |_, _| {}).await.unwrap();
        assert_eq!((first.copied, first.already), (1, 0));
        assert_eq!(other.get("big/one.bin").await.unwrap(), body);
        let again = files.copy_into(&other, |_, _| {}).await.unwrap();
        assert_eq!((again.copied, again.already), (0, 1));
        // Files of a change not kept go; those of a kept one stay.
        let mut lost = files.pending();
        lost.put("p/lost.bin", vec![1]).await.unwrap();
        drop(lost);
        let mut kept = files.pending();
        kept.put("p/kept.bin", vec![2]).await.unwrap();
        kept.kept();
        for _ in 0..200 {
            if files.size("p/lost.bin").await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(files.size("p/lost.bin").await.unwrap_err().is_not_found());
        assert_eq!(files.get("p/kept.bin").await.unwrap(), vec![2]);
        // A missing source is an error and writes nothing.
        assert!(files
            .put_file("big/none.bin", &dir.path().join("nothing"))
            .await
            .is_err());
        assert!(files.size("big/none.bin").await.unwrap_err().is_not_found());
    }
}
