//! The data folder: this node's identity, its ticket-signing key and its token secret,
//! beside the SQLite database. Held under an exclusive lock while a process uses it.
//!
//! Only its owner may read it (Unix): the folder and `keys/` are made 0700 and every file in
//! them 0600 each time it is opened, whatever they were before, and files are created 0600
//! (never relying on the umask). SQLite creates the database itself, so the database file is
//! created 0600 before it is first opened; SQLite gives its `-wal` and `-shm` files the
//! database file's permissions.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use aspk_ticket::IssuerKey;

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("data folder {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("data folder {0} is in use by another aspk process")]
    Locked(PathBuf),
    #[error("data folder file {path} is damaged: {detail}")]
    Damaged { path: PathBuf, detail: String },
}

/// An open, locked data folder.
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    _lock: File,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DataDirError + '_ {
    move |source| DataDirError::Io {
        path: path.to_owned(),
        source,
    }
}

impl DataDir {
    /// Creates the folder if needed, checks it is writable, takes its lock and makes it and
    /// what it holds private to this user.
    pub fn open(path: &Path) -> Result<Self, DataDirError> {
        create_private_dir(path).map_err(io(path))?;
        let lock_path = path.join("aspk.lock");
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let lock = options.open(&lock_path).map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(DataDirError::Locked(path.to_owned()))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
        }
        make_private(path).map_err(io(path))?;
        Ok(Self {
            path: path.to_owned(),
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The snapshot of the derived state (a cache for a quick start; safe to delete).
    pub fn snapshot_path(&self) -> PathBuf {
        self.path.join("state.snapshot")
    }

    /// `sqlite:` URL of the embedded database. The database file is created here, empty and
    /// readable by its owner only, if it does not exist yet: SQLite would create it with the
    /// umask's permissions, and gives its `-wal` and `-shm` files the same ones. (Best
    /// effort: if it cannot be created, opening the database says why.)
    pub fn sqlite_url(&self) -> String {
        let db = self.path.join("aspk.db");
        let mut options = OpenOptions::new();
        options.create_new(true).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let _ = options.open(&db);
        format!("sqlite:{}", db.display())
    }

    /// This node's origin id in the op log, created on first use.
    pub fn origin(&self) -> Result<String, DataDirError> {
        let path = self.path.join("origin");
        self.read_or_create(&path, || {
            uuid::Uuid::now_v7().simple().to_string().into_bytes()
        })
        .and_then(|bytes| {
            String::from_utf8(bytes)
                .map(|s| s.trim().to_owned())
                .map_err(|e| DataDirError::Damaged {
                    path: path.clone(),
                    detail: e.to_string(),
                })
        })
    }

    /// The organisation's ticket-signing key `key_id`, created on first use.
    pub fn ticket_key(&self, key_id: u16) -> Result<IssuerKey, DataDirError> {
        let path = ticket_key_path(&self.path, key_id);
        let dir = self.path.join("keys");
        create_private_dir(&dir).map_err(io(&dir))?;
        let seed = self.read_or_create_secret(&path)?;
        Ok(IssuerKey::from_bytes(key_id, &seed))
    }

    /// Stores a ticket key made elsewhere (a site node's own key, once the cloud has given it an id).
    pub fn store_ticket_key(&self, key_id: u16, seed: &[u8; 32]) -> Result<(), DataDirError> {
        store_ticket_key(&self.path, key_id, seed)
    }

    /// The cloud's root keys (`keys/root.json`): the key it signs with now, and the trust
    /// anchors every certificate chain of the organisation starts from. On first use: key 1,
    /// which is also the only anchor. Rotating the root key changes the signing key, never
    /// the anchors (the new root is vouched for in the log by the old one).
    pub fn root_keys(&self) -> Result<RootKeys, DataDirError> {
        let path = self.path.join("keys").join("root.json");
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let first = self.ticket_key(1)?;
                let roots = RootKeys {
                    signing_key: 1,
                    anchors: vec![(1, to_hex(&first.public().to_bytes()))],
                };
                self.save_root_keys(&roots)?;
                return Ok(roots);
            }
            Err(e) => return Err(io(&path)(e)),
        };
        serde_json::from_slice(&bytes).map_err(|e| DataDirError::Damaged {
            path,
            detail: e.to_string(),
        })
    }

    /// Keeps the cloud's root key choice (see [`DataDir::root_keys`]).
    pub fn save_root_keys(&self, roots: &RootKeys) -> Result<(), DataDirError> {
        let dir = self.path.join("keys");
        create_private_dir(&dir).map_err(io(&dir))?;
        let path = dir.join("root.json");
        let bytes = serde_json::to_vec_pretty(roots).map_err(|e| DataDirError::Damaged {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        write_private(&path, &bytes).map_err(io(&path))
    }

    /// The secret that signs staff bearer tokens, created on first use.
    pub fn token_secret(&self) -> Result<[u8; 32], DataDirError> {
        self.read_or_create_secret(&self.path.join("token.key"))
    }

    fn read_or_create_secret(&self, path: &Path) -> Result<[u8; 32], DataDirError> {
        let hex = self.read_or_create(path, || {
            let bytes: [u8; 32] = rand::random();
            to_hex(&bytes).into_bytes()
        })?;
        let text = String::from_utf8_lossy(&hex);
        parse_hex32(text.trim()).ok_or_else(|| DataDirError::Damaged {
            path: path.to_owned(),
            detail: "expected 64 hex digits".to_owned(),
        })
    }

    fn read_or_create(
        &self,
        path: &Path,
        make: impl FnOnce() -> Vec<u8>,
    ) -> Result<Vec<u8>, DataDirError> {
        match fs::read(path) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let bytes = make();
                write_private(path, &bytes).map_err(io(path))?;
                Ok(bytes)
            }
            Err(e) => Err(io(path)(e)),
        }
    }
}

/// The cloud's root keys (see [`DataDir::root_keys`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RootKeys {
    /// The id of the key the cloud signs ops and tickets with now.
    pub signing_key: u16,
    /// The trust anchors: (key id, public key in hex).
    pub anchors: Vec<(u16, String)>,
}

impl RootKeys {
    /// The anchors as key bytes, for [`crate::NodeOptions::trust_anchors`].
    pub fn anchor_bytes(&self) -> Vec<(u16, [u8; 32])> {
        self.anchors
            .iter()
            .filter_map(|(id, hex)| parse_hex32(hex).map(|bytes| (*id, bytes)))
            .collect()
    }
}

/// Where ticket key `key_id` of the data folder at `data` is kept.
pub fn ticket_key_path(data: &Path, key_id: u16) -> PathBuf {
    data.join("keys").join(format!("ticket-{key_id:04}.key"))
}

/// Stores ticket key `key_id` in the data folder at `data`, durably (for the sync worker of
/// a running node, which renews its key while the process holds the folder).
pub fn store_ticket_key(data: &Path, key_id: u16, seed: &[u8; 32]) -> Result<(), DataDirError> {
    let dir = data.join("keys");
    create_private_dir(&dir).map_err(io(&dir))?;
    let path = ticket_key_path(data, key_id);
    write_private(&path, to_hex(seed).as_bytes()).map_err(io(&path))
}

/// Creates (or empties) a file readable by its owner only, also when it existed with
/// other permissions.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(true).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(file)
}

/// Creates a folder (and its parents) if needed, and makes it accessible to its owner only.
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => {}
        Err(e) => return Err(e),
    }
    #[cfg(unix)]
    fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    Ok(())
}

/// Makes the data folder private to its owner: it and `keys/` 0700, every file in them
/// 0600 (the database and its `-wal`/`-shm`, keys, secrets, snapshots, sync state).
/// Symbolic links are left alone.
fn make_private(data: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for dir in [data.to_owned(), data.join("keys")] {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
            for entry in entries {
                let entry = entry?;
                let meta = entry.path().symlink_metadata()?;
                if meta.is_file() && meta.permissions().mode() & 0o777 != 0o600 {
                    fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o600))?;
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = data;
    Ok(())
}

/// Writes a file readable by its owner only, durably (write, fsync, rename).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = create_private(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path)?;
    if let Some(parent) = path.parent() {
        File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// 32 bytes from 64 hex digits (keys and secrets in files and on the wire).
pub fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// Lower-case hex, two digits a byte.
pub fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_keys_persist_and_the_folder_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let (origin, key) = {
            let data = DataDir::open(dir.path()).unwrap();
            assert!(matches!(
                DataDir::open(dir.path()),
                Err(DataDirError::Locked(_))
            ));
            (
                data.origin().unwrap(),
                data.ticket_key(1).unwrap().to_bytes(),
            )
        };
        let again = DataDir::open(dir.path()).unwrap();
        assert_eq!(again.origin().unwrap(), origin);
        assert_eq!(again.ticket_key(1).unwrap().to_bytes(), key);
        assert_ne!(again.ticket_key(2).unwrap().to_bytes(), key);
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_and_its_files_are_private_also_when_they_were_not() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        {
            let data = DataDir::open(&path).unwrap();
            data.ticket_key(1).unwrap();
            data.token_secret().unwrap();
            data.sqlite_url();
            assert_eq!(mode(&path), 0o700);
            assert_eq!(mode(&path.join("keys")), 0o700);
            for file in ["aspk.db", "aspk.lock", "token.key", "keys/ticket-0001.key"] {
                assert_eq!(mode(&path.join(file)), 0o600, "{file}");
            }
        }
        let open_up = |p: &Path, m: u32| fs::set_permissions(p, fs::Permissions::from_mode(m));
        open_up(&path, 0o755).unwrap();
        open_up(&path.join("keys"), 0o777).unwrap();
        for file in [
            "aspk.db",
            "aspk.db-wal",
            "state.snapshot",
            "keys/ticket-0001.key",
        ] {
            fs::write(path.join(file), b"x").unwrap();
            open_up(&path.join(file), 0o644).unwrap();
        }
        let _data = DataDir::open(&path).unwrap();
        assert_eq!(mode(&path), 0o700);
        assert_eq!(mode(&path.join("keys")), 0o700);
        for file in [
            "aspk.db",
            "aspk.db-wal",
            "state.snapshot",
            "keys/ticket-0001.key",
        ] {
            assert_eq!(mode(&path.join(file)), 0o600, "{file}");
        }
    }
}
