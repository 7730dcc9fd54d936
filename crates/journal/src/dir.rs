use crate::error::JournalError;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// An open data directory: its `journal/` and `snapshots/` folders exist and this process holds
/// its `LOCK` (an advisory `flock`, released when the value is dropped or the process dies), so
/// two servers cannot write one journal.
#[derive(Debug)]
pub struct DataDir {
    root: PathBuf,
    _lock: File,
}

impl DataDir {
    /// Open (creating if needed) the data directory at `root` and take its lock.
    ///
    /// # Errors
    /// [`JournalError::Io`] when the folders cannot be created, [`JournalError::Locked`] when
    /// another process holds the lock.
    pub fn open(root: &Path) -> Result<DataDir, JournalError> {
        for sub in ["journal", "snapshots"] {
            let p = root.join(sub);
            std::fs::create_dir_all(&p).map_err(JournalError::io(&p))?;
        }
        let lock_path = root.join("LOCK");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(JournalError::io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(JournalError::Locked(root.to_path_buf()))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(JournalError::Io {
                    path: lock_path,
                    source: e,
                })
            }
        }
        Ok(DataDir {
            root: root.to_path_buf(),
            _lock: lock,
        })
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Its `journal/` folder.
    pub fn journal(&self) -> PathBuf {
        self.root.join("journal")
    }

    /// Its `snapshots/` folder.
    pub fn snapshots(&self) -> PathBuf {
        self.root.join("snapshots")
    }
}

/// `fsync` a directory, so that a file created or renamed in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(JournalError::io(dir))
}
