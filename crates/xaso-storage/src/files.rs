//! The file store (photos, evidence, documents) through `object_store`: a local folder by
//! default; an S3-compatible store can be put behind the same interface. Metadata rows live in
//! the database; this holds only bytes.

use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

#[derive(Debug, thiserror::Error)]
#[error("file store: {0}")]
pub struct FilesError(#[from] object_store::Error);

/// Where uploaded files are kept. Cheap to clone.
#[derive(Clone)]
pub struct Files {
    inner: Arc<dyn ObjectStore>,
}

impl Files {
    /// Files under a local folder (created if missing).
    pub fn local(dir: &std::path::Path) -> std::io::Result<Files> {
        std::fs::create_dir_all(dir)?;
        let fs = LocalFileSystem::new_with_prefix(dir).map_err(std::io::Error::other)?;
        Ok(Files {
            inner: Arc::new(fs),
        })
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), FilesError> {
        self.inner
            .put(&Path::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, FilesError> {
        let got = self.inner.get(&Path::from(key)).await?;
        Ok(got.bytes().await?.to_vec())
    }

    /// Bytes `start..end` of a file (audio players ask for pieces).
    pub async fn get_range(&self, key: &str, start: u64, end: u64) -> Result<Vec<u8>, FilesError> {
        let got = self.inner.get_range(&Path::from(key), start..end).await?;
        Ok(got.to_vec())
    }

    /// Every file's key and size (for backups), in no particular order.
    pub async fn list(&self) -> Result<Vec<(String, u64)>, FilesError> {
        use futures_util::TryStreamExt;
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
