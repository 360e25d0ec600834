//! What the binary's behaviour tests share: the binary with a clean environment, a fresh
//! folder, and the simulator serving the demo organization.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The binary, without the environment variables that would point it at the developer's store,
/// config, master key or crash hook.
pub fn custos() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_custos"));
    command
        .env_remove("CUSTOS_DB")
        .env_remove("CUSTOS_CONFIG")
        .env_remove("CUSTOS_MASTER_KEY")
        .env_remove("CUSTOS_MASTER_KEY_FILE")
        .env_remove("CUSTOS_CRASH_AT");
    command
}

/// An empty folder of its own for `suite`/`name` in this process.
pub fn temp_dir(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("custos-{suite}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `custos sim serve` on the demo organization, killed on drop.
pub struct Sim {
    child: Child,
    pub url: String,
}

impl Sim {
    pub fn start() -> Sim {
        let mut child = custos()
            .args(["sim", "serve"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the simulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the URL line");
        Sim {
            child,
            url: line.trim().to_owned(),
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
