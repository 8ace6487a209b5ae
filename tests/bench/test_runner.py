"""The bench runner at a tiny scale writes a well-formed results file and page (timings not asserted)."""

import json

import pytest
from bench.scales import Scale

from bench import generator, runner
from daifuku.cli import build_parser
from daifuku.sales.models import Quote

TINY = Scale(
    "tiny",
    teams=2,
    reps_per_team=2,
    companies=40,
    contacts=120,
    deals=80,
    activities=400,
    tasks=40,
    quotes=30,
)


@pytest.mark.django_db
def test_run_writes_results_and_page(tmp_path):
    # given
    generator.generate(scale=TINY, seed=1)
    notes = tmp_path / "notes.md"
    notes.write_text("## Findings\n\nhand-written analysis\n", encoding="utf-8")
    # when
    results = runner.run(db="sqlite", scale="small", repeat=1, warmup=0, api_seconds=0)
    path = runner.save(results, directory=tmp_path / "results")
    doc = runner.write_markdown(directory=tmp_path / "results", doc=tmp_path / "perf.md", notes_path=notes)
    # then
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert path.name == "sqlite-small.json"
    assert saved["schema"] == runner.SCHEMA
    assert set(saved["users"]) == {"rep", "manager", "administrator"}
    assert saved["database"]["companies"] == 40
    assert saved["api"] is None
    assert saved["database"]["deals"] == 80
    # the generated activities and one mail per quote that was sent
    assert saved["database"]["activities"] == 400 + Quote.objects.filter(sent_at__isnull=False).count()
    assert saved["database"]["tasks"] == 40
    assert saved["database"]["quotes"] == 30
    assert len(saved["pages"]) == 51
    assert {p["kind"] for p in saved["pages"]} == {"list", "search", "detail", "board"}
    assert all(p["status"] == 200 for p in saved["pages"])
    # a search may match nothing in tiny data (then no row query runs); lists and details always fetch
    assert [
        p["name"] for p in saved["pages"] if p["kind"] != "search" and not p["floor_sql"].startswith("SELECT")
    ] == []
    assert all(p["runs"] == 1 and p["p50_ms"] > 0 and p["queries"] > 0 for p in saved["pages"])
    assert {"nproc", "memory_gb", "cpu", "python_speed_us"} <= set(saved["machine"])
    assert saved["machine"]["python_speed_us"] > 0
    page = doc.read_text(encoding="utf-8")
    assert f"## {saved['database']['version']}, scale small" in page
    assert "hand-written analysis" in page
    assert page.count("| company detail (most contacts)") == 3
    assert page.count("| deal board (default pipeline, all stages)") == 3
    assert page.count("| company timeline, first page (most activities)") == 3
    assert page.count("| deal detail (most activities)") == 3
    assert page.count("| quote list, first page (newest first)") == 3
    assert page.count("| quote detail (most lines)") == 3
    timeline = [p for p in saved["pages"] if p["name"].startswith("company timeline")]
    assert all(p["floor_sql"].startswith("SELECT") for p in timeline)
    assert all("activities_timelineentry" in p["floor_sql"] for p in timeline)
    assert all(p["url"].startswith("/activities/timeline/company/") for p in timeline)
    assert f"### Deal board and forecast ({saved['database']['vendor']}, small)" in page
    assert "Not run in this run (`--no-api`)." in page
    assert [(t["kind"], t["role"]) for t in saved["transfers"]] == [
        ("export", "rep"),
        ("export", "rep"),
        ("export", "rep"),
        ("export", "administrator"),
        ("import", "administrator"),
    ]
    assert f"### Import and export ({saved['database']['vendor']}, small)" in page
    assert page.count("| export: contact list, ") == 3
    assert page.count("| import: contacts, cp932 CSV, dedup “fill” (") == 1


def test_render_without_results_says_so():
    assert "No results yet" in runner.render([], "")


def test_bench_subcommands_are_registered():
    parser = build_parser()
    generate = parser.parse_args(["bench", "generate", "--scale", "1m", "--seed", "9"])
    run = parser.parse_args(["bench", "run", "--db", "postgres", "--scale", "100k"])
    assert (generate.scale, generate.seed, generate.db) == ("1m", 9, "sqlite")
    assert (run.db, run.scale, run.api, run.transfers) == ("postgres", "100k", True, True)
    assert parser.parse_args(["bench", "run", "--no-transfers"]).transfers is False


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert runner.percentile(values, 50) == 50.0
    assert runner.percentile(values, 99) == 99.0
    assert runner.percentile([3.0], 95) == 3.0


def test_data_line_says_when_a_run_predates_activities():
    old = {"deals": 0}
    new = {"deals": 80, "activities": 400, "timeline_entries": 430, "tasks": 40}
    newer = {**new, "quotes": 40, "quote_lines": 100}
    assert runner._data_extras(old) == "0 deals (activities and tasks were not generated yet), "
    assert runner._data_extras(new) == (
        "80 deals, 400 activities (430 timeline rows), 40 tasks, (quotes were not generated yet), "
    )
    assert (
        runner._data_extras(newer)
        == "80 deals, 400 activities (430 timeline rows), 40 tasks, 40 quotes (100 lines), "
    )


def test_transfer_table_says_when_a_run_predates_it_or_skipped_it():
    info = {"vendor": "sqlite"}
    assert runner._transfer_lines({"scale": "1m"}, info)[2] == "Not measured in this run (it predates them)."
    assert runner._transfer_lines({"scale": "1m", "transfers": None}, info)[2] == "Not run in this run."
