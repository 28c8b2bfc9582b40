"""workbench collect against a local fake news site (tests/collect_server.py, no internet):
extraction quality, politeness (robots.txt, one request at a time per host, spaced), refusals with
reasons, provenance, incremental and resumable runs, the CLI and a schedule with ``collect: true``."""
import gzip
import hashlib
import json
import sys
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from collect_server import SITE, NewsSite  # noqa: E402

from workbench.collect import PoliteClient, collect  # noqa: E402
from workbench.collect import run as collect_run  # noqa: E402
from workbench.collect.extract import ExtractError, decode_html, extract_article  # noqa: E402
from workbench.collect.http import FetchError  # noqa: E402
from workbench.corpus.registry import load_registry  # noqa: E402
from workbench.corpus.store import open_store, read_corpus  # noqa: E402
from workbench.errors import ArgumentError, RegistryError  # noqa: E402

EXPECTED = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
DELAY = 0.05


def registry_file(folder: Path, site: NewsSite, feeds: dict | None = None) -> Path:
    feeds = feeds or {"sana-demo": [site.url("/regime/feed.xml")],
                      "enab-demo": [{"url": site.url("/opposition/atom.xml"), "verified": False}]}
    data = {"registry": "collect-test", "camps": {"regime": "test regime", "opposition": "test opposition"},
            "outlets": [{"id": "sana-demo", "name_en": "SANA demo", "camp": "regime", "feeds": feeds.get("sana-demo", [])},
                        {"id": "enab-demo", "name_en": "Enab demo", "camp": "opposition",
                         "feeds": feeds.get("enab-demo", [])}]}
    path = folder / "outlets.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return path


def client() -> PoliteClient:
    return PoliteClient(delay=DELAY, timeout=1.0, retries=0, max_bytes=2_000_000)


def articles(version: int) -> dict:
    return {p: a for p, a in EXPECTED["articles"].items() if a["version"] <= version}


@pytest.fixture(scope="module")
def site():
    with NewsSite(slow_seconds=2.5) as s:
        yield s


@pytest.fixture(scope="module")
def first(site, tmp_path_factory):
    """One collection of version 1 of the site into a new store."""
    folder = tmp_path_factory.mktemp("collect")
    reg = registry_file(folder, site)
    site.version = 1
    start = len(site.requests)
    res = collect(folder / "store", reg, client=client(), keep_html=True, commit_every=3)
    return {"folder": folder, "store": folder / "store", "registry": reg, "result": res,
            "requests": list(site.requests[start:])}


def test_first_run_stores_every_article_with_its_main_text_and_nothing_else(first, site):
    corpus = read_corpus(first["store"])
    want = articles(1)
    assert len(corpus) == len(want)
    by_url = {u.replace(site.base, ""): row for u, row in zip(corpus["url"], corpus.to_dict("records"))}
    assert set(by_url) == set(want)
    for path, exp in want.items():
        row = by_url[path]
        assert row["outlet"] == exp["outlet"]
        assert row["title"] == exp["title"], path
        assert row["author"] == exp["author"], path
        assert str(row["date"])[:10] == exp["date"], path
        for sentence in exp["text_must_contain"]:
            assert sentence in row["text"], (path, sentence[:40])
        for junk in exp["text_must_not_contain"]:
            assert junk not in row["text"], (path, junk[:40])


def test_cp1256_page_and_redirect_target_are_read_right(first, site):
    corpus = read_corpus(first["store"]).set_index("url")
    cp = corpus.loc[site.url("/opposition/2026/11/aleppo-bakeries.html")]
    assert cp["encoding"] == "cp1256" and "\ufffd" not in cp["text"]
    assert cp["title"] == EXPECTED["articles"]["/opposition/2026/11/aleppo-bakeries.html"]["title"]
    moved = corpus.loc[site.url("/regime/2026/11/moved-story.html")]   # the URL after the redirect
    assert moved["feed_url"] == site.url("/regime/feed.xml")


def test_provenance_columns_and_kept_html(first, site):
    corpus = read_corpus(first["store"])
    row = corpus.set_index("url").loc[site.url("/regime/2026/11/health-campaign.html")]
    body = urllib.request.urlopen(site.url("/regime/2026/11/health-campaign.html")).read()
    assert row["html_sha256"] == hashlib.sha256(body).hexdigest()
    assert row["http_status"] == "200" and row["fetched_at"].endswith("Z") and row["extractor"].startswith("trafilatura ")
    assert row["collect_run"] == first["result"].run
    kept = first["store"] / "collect" / "html" / row["html_sha256"][:2] / f"{row['html_sha256']}.html.gz"
    assert gzip.decompress(kept.read_bytes()) == body
    run_log = json.loads((first["store"] / "collect" / "runs" / f"{first['result'].run}.json").read_text(encoding="utf-8"))
    assert {o["outlet"] for o in run_log["outlets"]} == {"sana-demo", "enab-demo"}


def test_bad_pages_are_refused_with_reasons_and_the_summary_counts_them(first):
    t = first["result"].table.set_index("outlet")
    assert t.loc["sana-demo", "new"] == 5 and t.loc["enab-demo", "new"] == 5
    sana, enab = t.loc["sana-demo", "reasons"], t.loc["enab-demo", "reasons"]
    assert "robots.txt forbids" in sana and "timed out" in sana and "refused a redirect to a ftp" in sana
    assert "HTTP 404" in enab and "larger than 2,000,000 bytes" in enab and "too short" in enab
    assert t.loc["sana-demo", "failed"] == 3 and t.loc["enab-demo", "failed"] == 3
    assert (t["status"] == "ok").all()
    state = json.loads((first["store"] / "collect" / "sana-demo.json").read_text(encoding="utf-8"))
    slow = [v for u, v in state["urls"].items() if u.endswith("/regime/slow.html")][0]
    assert slow["status"] == "failed" and slow["transient"] and slow["tries"] == 1


def test_polite_robots_obeyed_user_agent_sent(first):
    reqs = first["requests"]
    assert not [r for r in reqs if r["path"].startswith("/regime/private/")]
    assert [r["path"] for r in reqs].count("/robots.txt") == 1
    assert all("arabic-media-workbench" in r["headers"].get("user-agent", "") for r in reqs)


def test_requests_to_one_host_are_spaced_by_the_delay(site, tmp_path):
    """Two outlets on one host, collected side by side: the server never sees two requests closer
    than the delay (less the jitter of a loaded machine; the client spaces the starts exactly)."""
    reg = registry_file(tmp_path, site)
    start = len(site.requests)
    collect(tmp_path / "store", reg, client=PoliteClient(delay=0.3, timeout=1.0, retries=0), max_per_outlet=2)
    starts = sorted(r["time"] for r in site.requests[start:])
    assert len(starts) >= 6
    assert min(b - a for a, b in zip(starts, starts[1:])) >= 0.2


def test_second_run_adds_only_the_new_articles_and_a_third_finds_the_feeds_unchanged(first, site):
    site.version = 2
    try:
        start = len(site.requests)
        res = collect(first["store"], first["registry"], client=client())
        reqs = site.requests[start:]
        t = res.table.set_index("outlet")
        assert t.loc["sana-demo", "new"] == 2 and t.loc["enab-demo", "new"] == 2
        assert len(read_corpus(first["store"])) == len(articles(2))
        fetched = [r["path"] for r in reqs]
        assert "/regime/2026/11/health-campaign.html" not in fetched      # stored: not fetched again
        assert "/opposition/2026/11/deleted.html" not in fetched          # 404: permanent, not retried
        assert "/regime/slow.html" in fetched                             # timeout: tried again
        feed_req = [r for r in reqs if r["path"] == "/regime/feed.xml"][0]
        assert feed_req["headers"].get("if-none-match") == '"rss-v1"'
        start = len(site.requests)
        res3 = collect(first["store"], first["registry"], client=client())
        t3 = res3.table.set_index("outlet")
        assert (t3["feeds_unchanged"] == 1).all() and res3.new == 0
        assert [r["status"] for r in site.requests[start:] if r["path"].endswith((".xml"))] == [304, 304]
    finally:
        site.version = 1


def test_killed_run_resumes_without_losing_or_repeating(site, tmp_path, monkeypatch):
    reg = registry_file(tmp_path, site, {"sana-demo": [site.url("/regime/feed.xml")]})
    store = tmp_path / "store"
    real = collect_run._Run.import_records
    calls = []

    def dies_on_second(self, outlet, records):
        calls.append(len(records))
        if len(calls) == 2:
            raise KeyboardInterrupt   # the run is killed during its second import
        return real(self, outlet, records)

    monkeypatch.setattr(collect_run._Run, "import_records", dies_on_second)
    with pytest.raises(KeyboardInterrupt):
        collect(store, reg, outlets=["sana-demo"], client=client(), commit_every=2)
    kept = read_corpus(store)
    assert len(kept) == 2                                   # the first batch was committed
    assert not list((store / "collect" / "incoming").glob("*.jsonl"))
    monkeypatch.setattr(collect_run._Run, "import_records", real)
    start = len(site.requests)
    res = collect(store, reg, outlets=["sana-demo"], client=client(), commit_every=2)
    again = [r["path"] for r in site.requests[start:]]
    assert all(site.base + p not in set(kept["url"]) for p in again)   # the committed ones are not fetched again
    corpus = read_corpus(store)
    assert len(corpus) == 5 and corpus["id"].is_unique and res.table.loc[0, "new"] == 3


def test_an_outlet_whose_feeds_fail_is_reported_and_the_others_still_collected(site, tmp_path):
    reg = registry_file(tmp_path, site, {"sana-demo": [site.url("/regime/feed.xml")],
                                         "enab-demo": [site.url("/opposition/no-such-feed.xml")]})
    res = collect(tmp_path / "store", reg, client=client(), max_per_outlet=2)
    t = res.table.set_index("outlet")
    assert t.loc["enab-demo", "status"] == "failed" and "HTTP 404" in t.loc["enab-demo", "reasons"]
    assert t.loc["sana-demo", "new"] == 2 and res.failed_outlets == ["enab-demo"]


def test_nothing_is_written_when_every_page_is_bad(site, tmp_path):
    """A store is not created (nor changed) by a run that found no usable article."""
    reg = registry_file(tmp_path, site, {"enab-demo": [site.url("/opposition/atom.xml")]})
    store = tmp_path / "store"
    res = collect(store, reg, outlets=["enab-demo"], client=client(), min_words=100_000)   # no page is long enough
    assert res.new == 0 and res.table.loc[0, "failed"] > 0
    assert not open_store(store).exists


def test_max_per_outlet_keeps_the_feed_validators_unsaved(site, tmp_path):
    reg = registry_file(tmp_path, site, {"sana-demo": [site.url("/regime/feed.xml")]})
    collect(tmp_path / "store", reg, outlets=["sana-demo"], client=client(), max_per_outlet=1)
    state = json.loads((tmp_path / "store" / "collect" / "sana-demo.json").read_text(encoding="utf-8"))
    assert state["feeds"] == {}   # items were left: the next run must see the whole feed again
    res = collect(tmp_path / "store", reg, outlets=["sana-demo"], client=client())
    assert res.table.loc[0, "new"] == 4


def test_arguments_and_registry_errors_are_one_line(site, tmp_path):
    reg = registry_file(tmp_path, site)
    with pytest.raises(ArgumentError, match="outlet 'nope' is not in registry"):
        collect(tmp_path / "s", reg, outlets=["nope"], client=client())
    with pytest.raises(ArgumentError, match="--since must be a day"):
        collect(tmp_path / "s", reg, since="last week", client=client())
    bad = tmp_path / "bad.yaml"
    bad.write_text(json.dumps({"outlets": [{"id": "x", "name_en": "X", "camp": "c",
                                            "feeds": ["ftp://example.org/feed"]}]}), encoding="utf-8")
    with pytest.raises(RegistryError, match=r"outlet 'x': feeds #1: 'ftp://example.org/feed' is not an http\(s\) URL"):
        load_registry(bad)
    bad.write_text(json.dumps({"outlets": [{"id": "x", "name_en": "X", "camp": "c",
                                            "feeds": [{"url": "https://example.org/f", "verified": "yes"}]}]}),
                   encoding="utf-8")
    with pytest.raises(RegistryError, match="verified must be true or false"):
        load_registry(bad)


def test_project_registry_feeds_are_valid_and_unverified_ones_marked():
    reg = load_registry()
    from workbench.collect.feeds import feed_specs

    specs = [s for o in reg.outlets for s in feed_specs(o)]
    assert specs, "corpus/outlets.yaml should list feeds of the Syrian outlets"
    assert all(s.url.startswith("https://") for s in specs)


# ---------------------------------------------------------------------------- the parts
def test_client_refuses_non_http_redirect_caps_size_and_times_out(site):
    c = client()
    with pytest.raises(FetchError, match="refused a redirect to a ftp"):
        c.get(site.url("/regime/go-ftp"))
    with pytest.raises(FetchError, match="larger than 2,000,000 bytes") as e:
        c.get(site.url("/opposition/huge.html"))
    assert not e.value.transient
    with pytest.raises(FetchError, match="timed out after 1 s") as e:
        c.get(site.url("/regime/slow.html"))
    assert e.value.transient
    with pytest.raises(FetchError, match="robots.txt forbids /regime/private/leak.html"):
        c.get(site.url("/regime/private/leak.html"))


def test_client_retries_with_backoff_then_gives_up(site):
    waits = []
    c = PoliteClient(delay=0, timeout=0.5, retries=2, backoff=0.01, sleep=waits.append)
    with pytest.raises(FetchError, match="timed out"):
        c.get(site.url("/regime/slow.html"))
    assert waits[-2:] == [0.01, 0.02]


def test_robots_unreachable_forbids_the_host():
    c = PoliteClient(delay=0, timeout=0.5, retries=0)
    assert c.allowed("http://127.0.0.1:9/some/page") is False   # nothing listens on port 9
    with pytest.raises(FetchError, match=r"robots.txt of 127.0.0.1:9 could not be read \(") as e:
        c.get("http://127.0.0.1:9/feed.xml")
    assert e.value.transient


def test_decode_and_extract_units():
    cp = (SITE / "opposition/2026/11/aleppo-bakeries.html").read_bytes()
    text, enc = decode_html(cp)            # no HTTP charset: the page's meta declaration
    assert enc == "cp1256" and EXPECTED["articles"]["/opposition/2026/11/aleppo-bakeries.html"]["title"] in text
    video = (SITE / "opposition/2026/11/video-protest.html").read_bytes()
    with pytest.raises(ExtractError, match="too short"):
        extract_article(video, "http://x/video.html", feed_date="2026-11-10T10:00:00Z")
    page = ("<html lang='ar' dir='rtl'><head><title>ع</title></head><body><article><h1>عنوان</h1>"
            + "<p>" + " ".join(["كلمة"] * 80) + " " + "ب" * 1_000_000 + "</p></article></body></html>").encode()
    with pytest.raises(ExtractError, match="no publication date"):
        extract_article(page, "http://x/a.html")
    art = extract_article(page, "http://x/a.html", feed_date="2026-11-10T10:00:00Z")
    assert art["date"] == "2026-11-10T10:00:00Z" and art["text"].count("كلمة") == 80


# ---------------------------------------------------------------------------- CLI and schedules
def test_cli_collect_prints_summary_and_exit_codes(site, tmp_path, capsys):
    from workbench.cli import main

    reg = registry_file(tmp_path, site, {"sana-demo": [site.url("/regime/feed.xml")],
                                         "enab-demo": [site.url("/opposition/gone.xml")]})
    code = main(["collect", "--store", str(tmp_path / "store"), "--registry", str(reg), "--delay", "0.05",
                 "--timeout", "1", "--retries", "0", "--max-per-outlet", "1"])
    err = capsys.readouterr().err
    assert code == 3 and "sana-demo: ok" in err and "enab-demo: failed" in err
    assert "1 outlet(s) could not be collected: enab-demo" in err
    code = main(["collect", "--store", str(tmp_path / "store"), "--registry", str(reg), "--since", "yesterday"])
    assert code == 2 and "--since must be a day" in capsys.readouterr().err
    code = main(["collect", "--store", str(tmp_path / "store"), "--registry", str(reg), "--max-bytes", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "max_bytes must be a whole number, 1 or more" in err and err.count("\n") == 1


def test_schedule_with_collect_reports_on_the_collected_articles(site, tmp_path):
    from workbench.cli import main
    from workbench.reports.schedules import load_schedule

    reg = registry_file(tmp_path, site)
    store = tmp_path / "store"
    sch = tmp_path / "weekly.yaml"
    sch.write_text(json.dumps({
        "store": str(store), "registry": str(reg), "output": str(tmp_path / "reports"), "pdf": False,
        "collect": {"delay": DELAY, "timeout": 1, "max_bytes": 2_000_000},
        "parameters": {"group": "camp", "target": "regime", "reference": "opposition", "topics": False,
                       "min_count": 1},
    }), encoding="utf-8")
    assert load_schedule(sch).collect == {"delay": DELAY, "timeout": 1, "max_bytes": 2_000_000}
    site.version = 1
    assert main(["report", "--schedule", str(sch), "-q"]) == 0
    runs = [p for p in (tmp_path / "reports" / "weekly").iterdir() if p.is_dir() and p.name[0].isdigit()]
    manifest = json.loads((runs[0] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["corpus"]["articles"] == len(articles(1))
    html = (runs[0] / "report.html").read_text(encoding="utf-8")
    assert EXPECTED["articles"]["/regime/2026/11/health-campaign.html"]["title"].split()[0] in html
    bad = tmp_path / "bad.yaml"
    bad.write_text(json.dumps({"corpus": "x.jsonl", "collect": True}), encoding="utf-8")
    from workbench.errors import ScheduleError

    with pytest.raises(ScheduleError, match="collect: needs 'store'"):
        load_schedule(bad)


def test_a_run_killed_by_sigkill_resumes_cleanly(site, tmp_path):
    """The real thing: ``workbench collect`` killed with SIGKILL mid-run, then run again."""
    import os
    import signal
    import subprocess
    import time

    reg = registry_file(tmp_path, site, {"sana-demo": [site.url("/regime/feed.xml")]})
    store = tmp_path / "store"
    cmd = [sys.executable, "-m", "workbench", "collect", "--store", str(store), "--registry", str(reg),
           "--delay", "0.4", "--timeout", "1", "--retries", "0", "--commit-every", "1", "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (open_store(store).exists and len(read_corpus(store)) >= 2):
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = read_corpus(store)
    assert 2 <= len(before) < 5
    open_store(store).verify()
    done = subprocess.run(cmd[:-1], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    after = read_corpus(store)
    assert len(after) == 5 and after["id"].is_unique and set(before["id"]) <= set(after["id"])
    open_store(store).verify()


def test_sitemaps_and_sitemap_indexes_are_read_without_entities():
    from workbench.collect.feeds import read_sitemap

    urlset = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>https://example.org/a.html</loc><lastmod>2026-11-20T10:00:00+03:00</lastmod></url>
      <url><loc>/b.html</loc></url><url><loc>javascript:alert(1)</loc></url><url><loc>&e;</loc></url>
    </urlset>"""
    pages, maps = read_sitemap(urlset, "https://example.org/sitemap.xml")
    assert [p.url for p in pages] == ["https://example.org/a.html", "https://example.org/b.html"]
    assert pages[0].published == "2026-11-20T07:00:00Z" and maps == []
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://example.org/s1.xml</loc></sitemap></sitemapindex>"""
    assert read_sitemap(index, "https://example.org/")[1] == ["https://example.org/s1.xml"]
    with pytest.raises(ValueError, match="not a sitemap"):
        read_sitemap(b"<html><body>hi</body></html>", "https://example.org/")


def test_since_leaves_older_articles_for_a_later_run_without_it(site, tmp_path):
    reg = registry_file(tmp_path, site, {"sana-demo": [site.url("/regime/feed.xml")]})
    store = tmp_path / "store"
    site.version = 1
    res = collect(store, reg, client=client(), since="2026-11-08")
    dates = sorted(str(d)[:10] for d in read_corpus(store)["date"])
    assert dates == ["2026-11-08", "2026-11-10", "2026-11-12"] and res.new == 3
    state = json.loads((store / "collect" / "sana-demo.json").read_text(encoding="utf-8"))
    assert state["feeds"] == {}   # the feed listed older items that were left: not marked as seen
    res = collect(store, reg, client=client())
    assert res.new == 2 and len(read_corpus(store)) == 5
