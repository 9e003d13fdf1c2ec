//! The Dockerfile builds an image that holds what a deployment needs: the binary (templates,
//! static files and migrations inside it), CA certificates, a /data volume owned by the
//! non-root user it runs as, and a HEALTHCHECK on /healthz. Built with podman against a
//! Debian base made locally (`mmdebstrap`), since base images cannot be pulled here. Where the
//! machine lets podman run containers, `papers --version` runs in it; where it does not
//! (this sandbox's cgroups), the test says so, checks the image's filesystem instead and runs
//! the binary inside it with chroot.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const BASE: &str = "localhost/papers-test-base:bookworm";
const IMAGE: &str = "localhost/papers-test:latest";

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The local Debian base (minbase with CA certificates), made once and kept in target/.
fn base_image(work: &Path) {
    let exists = Command::new("podman")
        .args(["image", "exists", BASE])
        .status()
        .is_ok_and(|s| s.success());
    if exists {
        return;
    }
    let tar = work.join("base.tar");
    if !tar.exists() {
        let partial = work.join("base.tar.partial");
        ok(Command::new("mmdebstrap")
            .args([
                "--variant=minbase",
                "--include=ca-certificates",
                "--format=tar",
                "bookworm",
            ])
            .arg(&partial));
        std::fs::rename(&partial, &tar).unwrap();
    }
    ok(Command::new("podman").arg("import").arg(&tar).arg(BASE));
}

#[test]
fn the_image_holds_the_binary_a_data_volume_and_a_healthcheck() {
    if !have("podman") || !have("mmdebstrap") {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but podman or mmdebstrap is missing (apt-get install podman mmdebstrap)"
        );
        eprintln!("NOTE: podman or mmdebstrap not installed: the image was NOT built");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = root.join("target/container");
    std::fs::create_dir_all(&work).unwrap();
    base_image(&work);
    // The binary this test run built, and the machine's CA bundle, for the prebuilt stage.
    std::fs::copy(env!("CARGO_BIN_EXE_papers"), work.join("papers")).unwrap();
    std::fs::copy(
        "/etc/ssl/certs/ca-certificates.crt",
        work.join("ca-certificates.crt"),
    )
    .unwrap();
    ok(Command::new("podman")
        .args(["build", "--format", "docker", "--pull=never"])
        .args(["--build-arg", "BUILDER=prebuilt"])
        .args(["--build-arg", &format!("BASE_IMAGE={BASE}")])
        .args(["-t", IMAGE, "-f"])
        .arg(root.join("Dockerfile"))
        .arg(&root));

    let config = ok(Command::new("podman").args(["image", "inspect", IMAGE]));
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    let config = &config[0]["Config"];
    assert_eq!(config["User"], "10001:10001", "{config}");
    assert_eq!(config["Entrypoint"][0], "papers", "{config}");
    assert_eq!(config["Cmd"][0], "serve", "{config}");
    assert!(config["Volumes"]["/data"].is_object(), "{config}");
    assert!(config["ExposedPorts"]["8080/tcp"].is_object(), "{config}");
    let env = config["Env"].to_string();
    assert!(env.contains("PAPERS_DATA_DIR=/data") && env.contains("PAPERS_BIND=0.0.0.0:8080"));
    let health = ok(Command::new("podman").args([
        "image",
        "inspect",
        "--format",
        "{{json .HealthCheck}}",
        IMAGE,
    ]));
    assert!(health.contains("healthcheck"), "no HEALTHCHECK: {health}");

    // Try to run it; this sandbox's cgroups may refuse.
    let run = Command::new("podman")
        .args(["run", "--rm", IMAGE, "--version"])
        .output()
        .unwrap();
    if run.status.success() {
        let version = String::from_utf8_lossy(&run.stdout);
        assert!(version.starts_with("papers "), "{version}");
        eprintln!("podman run: {}", version.trim());
    } else {
        eprintln!(
            "NOTE: this machine refuses `podman run` ({}): checking the image's filesystem \
             instead",
            String::from_utf8_lossy(&run.stderr).trim()
        );
    }
    // The filesystem: mount a container made from the image (made, never started).
    let id = ok(Command::new("podman").args(["create", IMAGE]));
    let container = Container(id.trim().to_string());
    let fs = PathBuf::from(ok(Command::new("podman").args(["mount", &container.0])).trim());
    let binary = std::fs::read(fs.join("usr/local/bin/papers")).unwrap();
    let built = std::fs::read(env!("CARGO_BIN_EXE_papers")).unwrap();
    assert!(binary == built, "the image's binary is not the one built");
    assert!(fs.join("etc/ssl/certs/ca-certificates.crt").is_file());
    use std::os::unix::fs::MetadataExt;
    let data = std::fs::metadata(fs.join("data")).unwrap();
    assert_eq!(
        (data.uid(), data.gid()),
        (10001, 10001),
        "/data is not the user's"
    );
    // The binary runs on the image's own libraries: started inside its filesystem (chroot,
    // which needs no cgroups), it prints its version.
    let chroot = Command::new("chroot")
        .arg(&fs)
        .args(["/usr/local/bin/papers", "--version"])
        .output()
        .unwrap();
    assert!(
        chroot.status.success(),
        "papers --version inside the image's filesystem: {}",
        String::from_utf8_lossy(&chroot.stderr)
    );
    let version = String::from_utf8_lossy(&chroot.stdout);
    assert!(version.starts_with("papers "), "{version}");
    eprintln!("inside the image (chroot): {}", version.trim());
}

/// A container made from the image, unmounted and removed when the test ends.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("podman").args(["umount", &self.0]).output();
        let _ = Command::new("podman").args(["rm", &self.0]).output();
    }
}
