"""The workspace: the one directory that holds a study's recordings, settings and state.

::

    recordings/     the drop folder (originals are only ever read)
    transcripts/    analyst-facing transcript files
    config/         pipeline.yaml (optional: defaults apply)
    store.db        the analyst store (no identifiable text)
    vault/vault.db  identifiable data, owner-only (0700 folder, 0600 file)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import config as config_mod


class WorkspaceError(Exception):
    """The directory is not usable as a workspace."""


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def recordings(self) -> Path:
        return self.root / "recordings"

    @property
    def transcripts(self) -> Path:
        return self.root / "transcripts"

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    @property
    def store_path(self) -> Path:
        return self.root / "store.db"

    @property
    def vault_dir(self) -> Path:
        return self.root / "vault"

    @property
    def vault_path(self) -> Path:
        return self.vault_dir / "vault.db"

    @property
    def guide_path(self) -> Path:
        """The study's interview guide in config/, else the shipped one (the study's own)."""
        own = self.config_dir / "interview_guide.yaml"
        return own if own.exists() else Path(__file__).parent / "defaults" / "interview_guide.yaml"

    def load_config(self, overrides: dict | None = None) -> config_mod.Config:
        return config_mod.load(self.config_dir, overrides)

    def ensure(self) -> None:
        """Create the folders that state is written to (never touches existing files)."""
        if not self.root.is_dir():
            raise WorkspaceError(
                f"workspace {self.root} does not exist: create it with 'interviews init {self.root}'"
            )
        self.recordings.mkdir(exist_ok=True)
        self.transcripts.mkdir(exist_ok=True)


def open_workspace(root: str | Path) -> Workspace:
    ws = Workspace(Path(root).resolve())
    ws.ensure()
    return ws


def init(root: str | Path) -> Workspace:
    """Create a workspace with its folders and a commented copy of the default configuration."""
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    ws = open_workspace(path)
    ws.config_dir.mkdir(exist_ok=True)
    config_file = ws.config_dir / config_mod.CONFIG_FILE
    if not config_file.exists():
        config_file.write_text(config_mod.default_text())
    from . import vault

    vault.Vault(ws.vault_path).close()
    from . import store

    store.Store(ws.store_path).close()
    return ws
