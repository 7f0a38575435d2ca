"""The course site (``make site``): its generated pages, and the built site in a real browser.

The browser test builds the site from the committed reports into a temporary folder, serves
it on 127.0.0.1 and loads every page in headless Chromium (Debian's ``chromium`` and
``chromium-driver``; skipped where they are absent). It fails on a broken internal link, a
missing image, a JavaScript error, or any request to another host than 127.0.0.1.
"""

import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from mer_lib.paths import reports_dir
from site_builder import build


CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1400"]
#: The notebook page the test photographs.
SCREENSHOT_PAGE = "_generated/reports/03_zhao2023_multifaceted_piano/demo/notebook.html"

needs_browser = pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                   reason="needs /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium chromium-driver)")


def notebook(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def solution(cell):
    cell.metadata["tags"] = ["solution"]
    return cell


# ---------------------------------------------------------------- generated pages


def test_a_code_solution_is_collapsed_behind_a_show_solution_button():
    cell = build.mark_solution(solution(nbformat.v4.new_code_cell("print(1)")))
    assert "hide-cell" in cell.metadata["tags"]
    assert cell.metadata["mystnb"]["code_prompt_show"] == "Show solution"


def test_a_markdown_solution_is_wrapped_in_a_dropdown_and_keeps_its_text():
    cell = build.mark_solution(solution(nbformat.v4.new_markdown_cell("Because *valence*.")))
    assert cell.source.startswith("::::{dropdown} Show solution\n") and cell.source.endswith("\n::::")
    assert "Because *valence*." in cell.source


def test_the_site_copy_of_a_notebook_names_its_profile_and_leaves_the_original_alone():
    nb = notebook(nbformat.v4.new_markdown_cell("# 01 · Jeon\n\ntext"), solution(nbformat.v4.new_code_cell("x")))
    page = build.site_notebook(nb, "mirex", "mirex_mm")
    assert page.cells[0].source.startswith("# 01 · Jeon — `mirex`")
    assert "dataset `mirex_mm`" in page.cells[0].source
    assert nb.cells[0].source == "# 01 · Jeon\n\ntext" and "hide-cell" not in nb.cells[1].metadata["tags"]


def test_the_deviations_section_runs_across_cells_to_the_next_heading_of_its_level():
    nb = notebook(
        nbformat.v4.new_markdown_cell("# Title\n\n## Results\n\nours\n\n### Deviations from the paper\n\n* **Data.** synthetic"),
        nbformat.v4.new_code_cell("table"),
        nbformat.v4.new_markdown_cell("#### A detail\n\nstill a deviation\n\n### Verdicts\n\nnot a deviation"),
    )
    section = build.deviations_section(nb)
    assert section.startswith("* **Data.** synthetic") and "still a deviation" in section
    assert "Verdicts" not in section and "ours" not in section


def test_a_notebook_without_a_deviations_section_gives_none():
    assert build.deviations_section(notebook(nbformat.v4.new_markdown_cell("# Primer\n\n## 1. V/A"))) is None


def test_a_dataset_page_builds_without_the_real_data_or_its_survey():
    page = build.dataset_page("emopia", summary=None)
    assert page.startswith("# `emopia`")
    assert "@inproceedings{hung2021emopia" in page and "CC BY-NC-SA 4.0" in page
    assert "No numbers yet" in page and "```{eval-rst}" in page


def test_a_dataset_page_shows_the_primers_numbers_where_it_ran():
    summary = build.dataset_summary(reports_dir())
    if summary is None or "emopia" not in summary.index:
        pytest.skip("the primer's real survey is not in reports/")
    page = build.dataset_page("emopia", summary)
    assert "| 1078 | 767 | 198 | 86 | 27 |" in page


def test_every_report_gets_a_page_and_the_results_page_links_each_of_them(tmp_path):
    pages = build.write_pages(out=tmp_path)
    folders = build.report_folders()
    assert folders, "no executed report under reports/"
    results = (tmp_path / "reports" / "index.md").read_text()
    for folder in folders:
        key = f"{folder.parent.name}/{folder.name}"
        assert tmp_path / "reports" / key / "notebook.ipynb" in pages
        assert f"]({key}/notebook.ipynb)" in results, f"results page does not link {key}"
    deviations = (tmp_path / "deviations.md").read_text()
    assert deviations.count("\n## ") == len({f.parent.name for f in folders})
    assert all((tmp_path / "datasets" / f"{name}.md").is_file() for name in build.data.available())


# ---------------------------------------------------------------- the built site, in a browser


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The site built from the committed reports into a temporary folder, and sphinx's output."""
    root = tmp_path_factory.mktemp("site")
    source = root / "src"
    shutil.copytree(build.SITE_DIR, source, ignore=shutil.ignore_patterns("_build", "_generated", "__pycache__"))
    build.write_pages(out=source / "_generated")
    html = root / "html"
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(root / "doctrees"),
                           str(source), str(html)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return html, done.stderr


@pytest.fixture(scope="session")
def server(built_site):
    """The built site served on 127.0.0.1 (a free port) by http.server in a thread."""
    handler = functools.partial(QuietHandler, directory=str(built_site[0]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def is_local(url: str, base: str) -> bool:
    return url.startswith(base)


def exists(url: str) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10) as answer:
            return answer.status == 200
    except urllib.error.URLError:
        return False


def foreign_requests(driver, base: str) -> list[str]:
    """URLs the page asked for from another host than the server's (performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if urllib.parse.urlsplit(url).scheme in ("http", "https", "ws", "wss") and not is_local(url, base):
                urls.append(url)
    return urls


def test_the_site_builds_without_warnings(built_site):
    assert built_site[1].strip() == "", built_site[1]


@pytest.mark.browser
@needs_browser
def test_every_page_loads_with_its_links_and_images_and_nothing_from_outside(built_site, server, browser, tmp_path):
    html = built_site[0]
    pages = sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html") if "_static" not in p.parts)
    assert "index.html" in pages and SCREENSHOT_PAGE in pages
    problems, checked = [], set()
    for page in pages:
        browser.get(server + page)
        links = browser.execute_script("return Array.from(document.querySelectorAll('a[href]'), a => a.href)")
        images = browser.execute_script(
            "return Array.from(document.images).filter(i => i.complete && i.naturalWidth === 0).map(i => i.src)")
        problems += [f"{page}: missing image {src}" for src in images]
        for link in {urllib.parse.urldefrag(u).url for u in links if is_local(u, server)} - checked:
            checked.add(link)
            if not exists(link):
                problems.append(f"{page}: broken link {link}")
        problems += [f"{page}: JavaScript error {e['message']}" for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        problems += [f"{page}: request to another host {url}" for url in foreign_requests(browser, server)]
    assert not problems, "\n".join(problems)
    assert len(pages) >= len(build.report_folders()) + len(build.data.available()) + 4


@pytest.mark.browser
@needs_browser
def test_the_home_page_and_a_report_page_render_and_are_photographed(server, browser, tmp_path):
    browser.get(server + "index.html")
    assert "MER Study" in browser.title
    assert browser.find_elements("css selector", "nav.bd-links a[href*='syllabus']"), "no syllabus in the navigation"
    browser.save_screenshot(str(tmp_path / "home.png"))
    browser.get(server + SCREENSHOT_PAGE)
    figures = browser.execute_script("return Array.from(document.images).filter(i => i.naturalWidth > 100).length")
    assert figures >= 1, "the report page shows no figure"
    assert "Paper vs. this study" in browser.page_source
    browser.save_screenshot(str(tmp_path / "notebook.png"))
    assert (tmp_path / "home.png").stat().st_size > 10_000 and (tmp_path / "notebook.png").stat().st_size > 10_000


@pytest.mark.browser
@needs_browser
def test_every_solution_of_a_report_is_on_its_page_collapsed(server, browser):
    for folder in build.report_folders():
        nb = nbformat.read(folder / "notebook.ipynb", as_version=4)
        solutions = [c for c in nb.cells if build.is_solution(c)]
        browser.get(f"{server}_generated/reports/{folder.parent.name}/{folder.name}/notebook.html")
        shown = browser.execute_script(
            "return Array.from(document.querySelectorAll('details'))"
            ".filter(d => (d.querySelector('summary') || {}).textContent.includes('Show solution'))"
            ".map(d => d.open)")
        assert len(shown) == len(solutions), f"{folder}: {len(solutions)} solutions, {len(shown)} collapsed blocks"
        assert not any(shown), f"{folder}: a solution is open when the page loads"
