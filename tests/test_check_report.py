"""The report as a learner reads it in a notebook: the HTML table rendered in real Chromium (a screenshot
is looked at), and the text report for the same engine."""

import inspect

import micrograd.engine
import pytest

from browser import browser  # noqa: F401  (the module's Chromium)
from practice.check.api import check_path
from practice.check.sandbox import Limits

BUGGY = inspect.getsource(micrograd.engine).replace(
    "self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
    "self.grad = other.data * out.grad\n            other.grad = self.data * out.grad").replace(
    "    def __rsub__(self, other): # other - self\n        return other + (-self)",
    "    def __rsub__(self, other): # other - self\n        return self - other")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "engine.py"
    path.write_text(BUGGY)
    return check_path(path, limits=Limits(timeout=20))


def test_the_html_report_renders_as_a_table_in_chromium(report, browser, tmp_path):  # noqa: F811
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_content(f"<!doctype html><html><body>{report._repr_html_()}</body></html>")
    rows = page.locator(".bp-check table tr")
    assert rows.count() == 1 + len(report.groups())
    header = [page.locator(".bp-check th").nth(i).inner_text() for i in range(6)]
    assert header == ["op", "status", "smallest failing example", "expected", "got", "why, and the fix"]
    mul = page.locator("tr", has_text="a * a (one value used twice)")
    assert mul.count() == 1
    text = mul.inner_text()
    assert "failed" in text and "overwrite" in text and "Fix:" in text and "Your line:" in text
    assert "self.grad = other.data * out.grad" in text
    rsub = page.locator("tr", has_text="swapped-reversed")
    assert rsub.count() == 1 and "return self - other" in rsub.inner_text()
    failed = page.locator("td.failed")
    assert failed.count() == len(report.failed_ops())
    color = failed.first.evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(179, 38, 30)"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1200
    page.screenshot(path=str(tmp_path / "check-report.png"), full_page=True)
    page.close()


def test_the_text_report_names_each_failure_once_with_its_line(report):
    text = report.text()
    print(text)
    assert text.count("Mistake (overwrite):") == 1  # -a and a - b go through __mul__: "the same mistake as above"
    assert "The same mistake as above (overwrite)." in text
    assert "2 - a fails: a number - a" in text and "Mistake (swapped-reversed):" in text
    assert "Your line: engine.py line 83: return self - other" in text or "return self - other" in text
    assert all(len(line) < 400 for line in text.splitlines())
