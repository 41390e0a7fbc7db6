"""A missing `dot` says how to install Graphviz on this very system, not on Debian whatever the system."""

from practice.install_hint import EVERYWHERE, graphviz_command, graphviz_hint


def _release(tmp_path, text):
    path = tmp_path / "os-release"
    path.write_text(text)
    return str(path)


def test_each_system_gets_its_own_command(tmp_path):
    cases = {
        'ID=debian\nVERSION_ID="12"\n': "sudo apt install graphviz",
        'ID=linuxmint\nID_LIKE="ubuntu debian"\n': "sudo apt install graphviz",
        'ID=fedora\n': "sudo dnf install graphviz",
        'ID="rocky"\nID_LIKE="rhel centos fedora"\n': "sudo dnf install graphviz",
        'ID=arch\n': "sudo pacman -S graphviz",
        'ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n': "sudo zypper install graphviz",
        'ID=alpine\n': "sudo apk add graphviz",
    }
    for text, command in cases.items():
        assert graphviz_command("Linux", _release(tmp_path, text), conda=False) == command, text
    assert graphviz_command("Linux", _release(tmp_path, "ID=gentoo\n"), conda=False) is None
    assert graphviz_command("Linux", str(tmp_path / "missing"), conda=False) is None
    assert graphviz_command("Darwin", conda=False) == "brew install graphviz"
    assert graphviz_command("Windows", conda=False).startswith("winget install graphviz")
    assert graphviz_command("Linux", conda=True) == "conda install -c conda-forge graphviz"


def test_the_hint_is_one_line_and_names_a_command(monkeypatch):
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    hint = graphviz_hint()
    assert "\n" not in hint and "`dot`" in hint
    assert "apt install graphviz" in hint  # this machine is Debian
    monkeypatch.setattr("practice.install_hint.graphviz_command", lambda: None)
    assert graphviz_hint().endswith(EVERYWHERE)
