"""How to install Graphviz on the machine the tool runs on: the one line a missing `dot` error ends with."""

import os
import platform
import sys

COMMANDS = {  # a Linux distribution's ID (or an ID it is like, from /etc/os-release) -> its install command
    "debian": "sudo apt install graphviz", "ubuntu": "sudo apt install graphviz",
    "fedora": "sudo dnf install graphviz", "rhel": "sudo dnf install graphviz", "centos": "sudo dnf install graphviz",
    "arch": "sudo pacman -S graphviz", "opensuse": "sudo zypper install graphviz", "suse": "sudo zypper install graphviz",
    "alpine": "sudo apk add graphviz",
}
EVERYWHERE = ("apt install graphviz (Debian/Ubuntu), brew install graphviz (macOS), winget install graphviz (Windows) "
              "or conda install -c conda-forge graphviz")


def _linux_ids(path: str = "/etc/os-release") -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            fields = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    except OSError:
        return []
    return [w.strip('"').lower() for key in ("ID", "ID_LIKE") for w in fields.get(key, "").strip('"').split()]


def graphviz_command(system: str | None = None, os_release: str = "/etc/os-release", conda: bool | None = None) -> str | None:
    """The command that installs Graphviz here, or None when this system is not one we know."""
    if conda if conda is not None else bool(os.environ.get("CONDA_PREFIX")):
        return "conda install -c conda-forge graphviz"
    system = system or platform.system()
    if system == "Darwin":
        return "brew install graphviz"
    if system == "Windows" or sys.platform == "win32":
        return "winget install graphviz (then open a new terminal)"
    if system == "Linux":
        return next((COMMANDS[i] for i in _linux_ids(os_release) if i in COMMANDS), None)
    return None


def graphviz_hint() -> str:
    command = graphviz_command()
    how = f"install it with: {command}" if command else f"install it: {EVERYWHERE}"
    return f"Graphviz is needed to draw the graph pictures but its `dot` program is not on PATH; {how}"
