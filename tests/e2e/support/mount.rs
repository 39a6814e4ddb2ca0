//! Small real file systems for bad-day tests: a tmpfs of a few megabytes that fills up, and an
//! ext4 image on a loop device that can be made to fail the way a worn SD card does (the kernel
//! aborts it and it turns read-only). Mounting needs root; CI runs as root, so there a failure
//! to mount fails the test, while a developer without root sees the test skipped.

use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

pub struct Mount {
    /// The mount point.
    pub dir: TempDir,
    /// The ext4 image behind a loop mount, removed after unmounting.
    _image: Option<TempDir>,
}

impl Mount {
    /// A tmpfs of `size` (as mount's `size=` takes it, e.g. "4m").
    pub fn tmpfs(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("mount point");
        let options = format!("size={size}");
        mounted(&["-t", "tmpfs", "-o", &options, "tmpfs"], dir.path())?;
        Some(Self { dir, _image: None })
    }

    /// A fresh ext4 file system of `megabytes` in an image file, mounted through a loop device.
    pub fn ext4(megabytes: u32) -> Option<Self> {
        let image_dir = tempfile::tempdir().expect("image folder");
        let image = image_dir.path().join("sd.img");
        std::fs::File::create(&image)
            .and_then(|f| f.set_len(u64::from(megabytes) << 20))
            .expect("image file");
        run(
            "mkfs.ext4",
            &["-q", "-F", image.to_str().expect("utf-8 path")],
        )?;
        let dir = tempfile::tempdir().expect("mount point");
        mounted(
            &["-o", "loop", image.to_str().expect("utf-8 path")],
            dir.path(),
        )?;
        Some(Self {
            dir,
            _image: Some(image_dir),
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// What the kernel does to an ext4 file system when its card fails (`errors=remount-ro`):
    /// from now on every write is refused with EROFS while reads still work.
    pub fn abort(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,abort"])
            .arg(self.path())
            .status()
            .expect("mount");
        assert!(status.success(), "could not abort the file system");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

fn mounted(args: &[&str], at: &Path) -> Option<()> {
    let mut all: Vec<&str> = args.to_vec();
    all.push(at.to_str().expect("utf-8 path"));
    run("mount", &all)
}

fn run(program: &str, args: &[&str]) -> Option<()> {
    let output = Command::new(program).args(args).output();
    let why = match output {
        Ok(output) if output.status.success() => return Some(()),
        Ok(output) => String::from_utf8_lossy(&output.stderr).into_owned(),
        Err(error) => error.to_string(),
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "CI runs as root and must be able to run {program} {args:?}: {why}"
    );
    eprintln!("skipped: cannot run {program} {args:?} here ({why}); run as root to test this");
    None
}
