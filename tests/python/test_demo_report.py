"""scripts/demo_report.py on synthetic event logs: a scripted demo run (three rounds and an
unfinished fourth, a tampered agent revoked and rekeyed out, a silenced one never declared
unreachable) whose figures are known by construction, checked in the terminal lines,
timeline.json and chart.svg; plus broken input that must be counted or shown, never fatal."""
import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import demo_report  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
T0 = 1_700_000_000.0
SECAAS = "0x" + "aa" * 20
AGENT = {number: "0x" + f"{number}{number}" * 20 for number in (3, 4, 5, 6)}


def event(at, role, kind, **fields):
    return {"t": T0 + at, "role": role, "event": kind, **fields}


def answered(at, round, step, agent, latency, passed=True):
    return event(at, f"agent-{agent}", "step_answered", round=round, step=step, prover=AGENT[agent],
                 passed=passed, latency_ms=latency, block=int(at * 4))


def challenged(at, round, step, agent, challenger=SECAAS, fallback=False):
    return event(at, "secaas", "step_challenged", round=round, step=step, prover=AGENT[agent],
                 challenger=challenger, fallback=fallback)


def scenario():
    """The demo run, in no particular order of roles. By construction: passed latencies 100…900
    (p50 500, p99 900; the failed 5,000 is not one), rounds of 3,000, 2,000 and 3,100 ms (median
    3,000) and an unfinished fourth, agent-5 tampered at 8 s, revoked at 11.2 s, rekeyed out of
    group 1 at 11.84 s (group 2's epoch at 11.3 s never held it), agent-6 silenced for good."""
    return [
        event(0.0, "demo", "phase", name="network up", latency_ms=1200),
        event(0.5, "mlfo", "epoch_published", group=1, epoch=1, members=list(AGENT.values()), skipped=[],
              reason="initial", latency_ms=300),
        *[event(0.6 + number / 100, f"agent-{number}", "group_key_opened", agent=AGENT[number],
                agent_id=f"agent-{number}", epoch=1) for number in AGENT],
        event(1.0, "secaas", "round_begun", round=1, steps=3, initial=3),
        challenged(1.2, 1, 0, 3, fallback=True), answered(1.8, 1, 0, 3, 100),
        challenged(1.9, 1, 1, 4, challenger=AGENT[3]), answered(2.5, 1, 1, 4, 200),
        challenged(2.6, 1, 2, 5, challenger=AGENT[4]), answered(4.2, 1, 2, 5, 300),
        event(5.0, "secaas", "round_begun", round=2, steps=3, initial=0),
        challenged(5.1, 2, 0, 3), answered(5.5, 2, 0, 3, 400),
        challenged(5.6, 2, 1, 4), answered(6.0, 2, 1, 4, 500),
        challenged(6.1, 2, 2, 5), answered(7.1, 2, 2, 5, 600),
        event(8.0, "demo", "tamper", agent=AGENT[5], agent_id="agent-5"),
        event(9.0, "secaas", "round_begun", round=3, steps=5, initial=0),
        challenged(9.1, 3, 0, 3), answered(9.4, 3, 0, 3, 700),
        challenged(9.5, 3, 1, 4), answered(9.9, 3, 1, 4, 800),
        challenged(10.0, 3, 2, 5), answered(11.0, 3, 2, 5, 5000, passed=False),
        event(11.2, "mlfo", "agent_revoked", agent=AGENT[5], agent_id="agent-5", reason="evidence", block=45),
        event(11.3, "mlfo", "epoch_published", group=2, epoch=1, members=[AGENT[3]], skipped=[], reason="join"),
        event(11.84, "mlfo", "epoch_published", group=1, epoch=2, members=[AGENT[3], AGENT[4], AGENT[6]],
              skipped=[AGENT[5]], reason="revocation", latency_ms=640),
        event(12.0, "secaas", "step_missed", round=3, step=3, blamed=AGENT[6]),
        event(12.05, "mlfo", "agent_missed", agent=AGENT[6], block=48),
        event(12.2, "secaas", "step_declined", round=3, step=4, prover=AGENT[5]),
        event(13.0, "demo", "silence", agent="agent-6"),
        event(14.0, "secaas", "round_begun", round=4, steps=2, initial=0),
        challenged(14.1, 4, 0, 3), answered(14.5, 4, 0, 3, 900),
        event(14.6, "agent-3", "traffic", agent=AGENT[3], agent_id="agent-3", epoch=2, accepted=120,
              dropped={"replay": 3, "old-epoch": 1, "not-member": 0}),
        event(14.7, "agent-4", "traffic", agent=AGENT[4], epoch=2, accepted=30, dropped={"forged": 1}),
        event(14.8, "demo", "custom_thing", note="hello"),
    ]


MALFORMED = ["not json at all", '["a list"]', '{"t": NaN, "role": "x", "event": "y"}',
             '{"role": "secaas", "event": "round_begun"}']


def write_logs(directory: Path) -> list[Path]:
    """The scenario spread over three files the way the programs write them, out of order inside
    each, with the malformed lines and a blank one in between."""
    by_file = {"services.jsonl": [], "agents.jsonl": [], "demo.jsonl": []}
    for entry in scenario():
        name = "agents.jsonl" if entry["role"].startswith("agent") else "demo.jsonl" if entry["role"] == "demo" else "services.jsonl"
        by_file[name].append(json.dumps(entry))
    by_file["services.jsonl"].reverse()
    by_file["agents.jsonl"] += ["", *MALFORMED]
    paths = []
    for name, lines in by_file.items():
        paths.append(directory / name)
        paths[-1].write_text("\n".join(lines) + "\n")
    return paths


@pytest.fixture
def logs(tmp_path):
    return write_logs(tmp_path)


def test_load_sorts_across_files_and_counts_malformed_lines(logs):
    events, skipped = demo_report.load(logs)
    assert skipped == len(MALFORMED)
    assert len(events) == len(scenario())
    assert [entry["t"] for entry in events] == sorted(entry["t"] for entry in scenario())
    assert events[0]["event"] == "phase" and events[-1]["event"] == "custom_thing"


@pytest.mark.parametrize("samples, percent, expected", [
    ([], 50, "n/a"),
    ([7], 99, 7),
    ([1, 2, 3, 4], 50, 2),          # rank ceil(2.0) = 2, not the interpolated 2.5
    ([1, 2, 3, 4], 99, 4),
    (list(range(1, 101)), 99, 99),  # rank 99 of 100
    ([30, 10, 20], 50, 20),         # unsorted in
])
def test_nearest_rank_percentile(samples, percent, expected):
    assert demo_report.nearest_rank(samples, percent) == expected


def test_figures_of_the_scenario():
    numbers = demo_report.figures(scenario())
    assert numbers["steps"] == {"answered": 10, "passed": 9, "failed": 1, "declined": 1, "missed": 1}
    assert numbers["step_latency"] == {"steps": 9, "p50_ms": 500, "p99_ms": 900}
    rounds = numbers["round_time"]
    assert [(entry["round"], entry["ms"]) for entry in rounds["rounds"]] == [
        (1, 3000), (2, 2000), (3, 3100), (4, "not reached")]
    assert rounds["median_ms"] == 3000
    assert [(window["agent"], window["ms"]) for window in numbers["tamper_to_revocation"]] == [("agent-5", 3200)]
    [revocation] = numbers["exposure"]["revocation_to_rekey"]
    assert (revocation["agent"], revocation["reason"], revocation["ms"]) == ("agent-5", "evidence", 640)
    assert (revocation["group"], revocation["epoch"]) == (1, 2)
    [compromise] = numbers["exposure"]["tamper_to_rekey"]
    assert (compromise["agent"], compromise["ms"], compromise["epoch"]) == ("agent-5", 3840, 2)
    assert numbers["silence_to_unreachable"] == [{"agent": "agent-6", "at_s": 13.0, "ms": "not reached"}]
    assert numbers["traffic"] == {"accepted": 150, "dropped": {"replay": 3, "old-epoch": 1, "not-member": 0, "forged": 1}}


def test_a_silence_closes_only_on_an_unreachable_revocation():
    events = [event(0.0, "demo", "silence", agent=AGENT[6], agent_id="agent-6"),
              event(1.0, "mlfo", "agent_revoked", agent=AGENT[6], reason="operator said so"),
              event(2.5, "secaas", "agent_revoked", agent=AGENT[6], reason="unreachable")]
    assert demo_report.figures(events)["silence_to_unreachable"][0]["ms"] == 2500


def test_a_revocation_never_rekeyed_is_not_reached():
    events = [event(0.0, "mlfo", "epoch_published", group=1, epoch=1, members=[AGENT[5]], skipped=[]),
              event(1.0, "demo", "tamper", agent=AGENT[5]),
              event(2.0, "mlfo", "agent_revoked", agent=AGENT[5], reason="evidence"),
              event(3.0, "mlfo", "epoch_published", group=1, epoch=2, members=[AGENT[5]], skipped=[])]
    numbers = demo_report.figures(events)
    assert numbers["exposure"]["revocation_to_rekey"][0]["ms"] == "not reached"
    assert numbers["exposure"]["tamper_to_rekey"][0]["ms"] == "not reached"
    assert numbers["tamper_to_revocation"][0]["ms"] == 1000


def test_nothing_at_all_gives_no_samples():
    numbers = demo_report.figures([])
    assert numbers["step_latency"] == {"steps": 0, "p50_ms": "n/a", "p99_ms": "n/a"}
    assert numbers["round_time"] == {"median_ms": "n/a", "rounds": []}
    assert "  step latency p50 n/a, p99 n/a over 0 passed steps" in demo_report.render([])


def test_terminal_lines_tell_the_run():
    lines = demo_report.render(scenario(), skipped_lines=4)
    assert lines[0] == "+0.000s  [demo]  network up (1200 ms)"
    for expected in [
        "+1.000s  [secaas]  round 1 begun: 3 steps, 3 initial attestations",
        "+1.200s  [secaas]  round 1 step 0: agent-3 challenged by 0xaaaaaa…aaaa (fallback)",
        "+4.200s  [agent-5]  round 1 step 2: agent-5 passed in 300 ms, block 16",
        "+11.000s  [agent-5]  round 3 step 2: agent-5 FAILED in 5000 ms, block 44",
        "+11.200s  [mlfo]  agent-5 REVOKED (evidence) at block 45",
        "+11.840s  [mlfo]  epoch 2 of group 1 published: 3 members, skipped agent-5 (revocation), 640 ms after the trigger",
        "+12.000s  [secaas]  round 3 step 3: deadline passed, a miss for agent-6",
        "+12.050s  [mlfo]  agent-6 missed a step at block 48",
        "+12.200s  [secaas]  round 3 step 4: declined, agent-5 is out",
        "+8.000s  [demo]  TAMPER: the demo altered agent-5's wrapped image",
        "+14.600s  [agent-3]  agent-3 received in epoch 2: 120 accepted, dropped 3 replay, 1 old-epoch",
        "+14.800s  [demo]  custom_thing: note=hello",
    ]:
        assert expected in lines
    summary = lines[lines.index("summary"):]
    for expected in [
        "  events: 41, malformed lines skipped: 4",
        "  step latency p50 500 ms, p99 900 ms over 9 passed steps",
        "  round time median 3000 ms over 3 rounds",
        "    round 4: 2 steps, not reached",
        "  tamper → revocation: agent-5 3200 ms",
        "  exposure, revocation → rekey: agent-5 (evidence) 640 ms (epoch 2 of group 1)",
        "  exposure, tamper → rekey: agent-5 3840 ms",
        "  silence → unreachable: agent-6 not reached",
        "  traffic: 150 accepted, dropped 3 replay, 1 old-epoch, 1 forged",
    ]:
        assert expected in summary


def test_known_kinds_with_odd_fields_are_shown_not_fatal():
    odd = [event(0.0, "agent-1", "step_answered", round=[1], passed="yes", latency_ms="slow"),
           event(0.1, "mlfo", "agent_revoked"),
           event(0.2, "mlfo", "epoch_published", members="everyone", skipped=7, latency_ms=None),
           event(0.3, "agent-1", "traffic", dropped=["replay"]),
           event(0.4, "demo", "tamper", agent=12),
           event(0.5, "x\x1b[31m", "phase", name="red\x1b[0m")]
    lines = demo_report.render(odd)
    assert lines[0] == '+0.000s  [agent-1]  round [1] step ?: ? FAILED in slow'
    assert lines[1] == "+0.100s  [mlfo]  ? REVOKED (?)"
    assert lines[2] == "+0.200s  [mlfo]  epoch ? of group ? published: ? members"
    assert lines[5] == "+0.500s  [x\\x1b[31m]  red\\x1b[0m"
    assert all("\x1b" not in line for line in lines)
    numbers = demo_report.figures(odd)
    assert numbers["step_latency"]["steps"] == 0 and numbers["tamper_to_revocation"][0]["ms"] == "not reached"
    ElementTree.fromstring(demo_report.svg(odd))


def parse_svg(text):
    root = ElementTree.fromstring(text)
    assert root.tag == SVG + "svg"
    return root


def with_class(root, tag, name):
    return [element for element in root.iter(SVG + tag) if name in element.get("class", "").split()]


def texts(root):
    return [element.text or "" for element in root.iter(SVG + "text")]


def test_the_chart_of_the_scenario():
    root = parse_svg(demo_report.svg(scenario()))
    assert (root.get("width"), root.get("height")) == ("900", "420")
    passed, failed = with_class(root, "circle", "passed"), with_class(root, "circle", "failed")
    assert (len(passed), len(failed)) == (9, 1)
    assert all(circle.get("fill") == demo_report.PASSED for circle in passed)
    # Later and slower steps sit further right and higher up.
    first, last = (float(passed[0].get("cx")), float(passed[0].get("cy"))), (float(passed[-1].get("cx")), float(passed[-1].get("cy")))
    assert last[0] > first[0] and last[1] < first[1]
    assert len(with_class(root, "line", "revocation")) == 1
    assert len(with_class(root, "line", "epoch")) == 3
    assert len(with_class(root, "line", "tamper")) == 1 and len(with_class(root, "line", "silence")) == 1
    labels = [element.text for element in with_class(root, "text", "marker-label")]
    assert "agent-5" in labels and "epoch 2" in labels and "silence agent-6" in labels
    words = " ".join(texts(root))
    assert "p50 500 ms, p99 900 ms over 9 passed steps" in words
    assert "round time median 3000 ms" in words
    assert "revocation→rekey agent-5 640 ms" in words and "tamper→rekey agent-5 3840 ms" in words
    assert "silence→unreachable agent-6 not reached" in words
    assert {"0", "5", "10", "15"} <= set(element.text for element in with_class(root, "text", "x-tick"))
    y_ticks = [float(element.text) for element in with_class(root, "text", "y-tick")]
    assert y_ticks[0] == 0 and y_ticks == sorted(y_ticks) and y_ticks[-1] >= 5000  # room for the failed 5,000 ms
    for legend_entry in ("passed step", "failed step", "revocation", "new epoch", "tamper", "silence"):
        assert legend_entry in words


def test_the_chart_without_steps_and_with_hostile_names():
    hostile = '<agent & "friends">'
    events = [event(0.0, "demo", "tamper", agent=AGENT[5], agent_id=hostile),
              event(2.0, "mlfo", "agent_revoked", agent=AGENT[5], reason="evidence")]
    text = demo_report.svg(events)
    assert hostile not in text  # escaped, or the XML would not parse
    root = parse_svg(text)
    assert with_class(root, "circle", "step") == []
    assert "no answered steps" in texts(root)
    assert hostile in [element.text for element in with_class(root, "text", "marker-label")]
    assert "p50 n/a, p99 n/a over 0 passed steps" in " ".join(texts(root))
    parse_svg(demo_report.svg([]))


def test_the_command_line_writes_the_timeline_and_the_chart(logs, tmp_path):
    out = tmp_path / "report"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo_report.py"), "--out", str(out), *map(str, logs)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "round 2 step 1: agent-4 passed in 500 ms" in result.stdout
    assert "step latency p50 500 ms, p99 900 ms over 9 passed steps" in result.stdout
    timeline = json.loads((out / "timeline.json").read_text())
    assert set(timeline) == {"events", "figures", "skipped_lines"}
    assert timeline["skipped_lines"] == len(MALFORMED)
    assert [entry["t"] for entry in timeline["events"]] == sorted(entry["t"] for entry in timeline["events"])
    assert {"event": "custom_thing", "note": "hello"}.items() <= timeline["events"][-1].items()
    assert timeline["figures"]["exposure"]["revocation_to_rekey"][0]["ms"] == 640
    assert timeline["figures"]["step_latency"]["p99_ms"] == 900
    assert len(with_class(parse_svg((out / "chart.svg").read_text()), "circle", "step")) == 10


def test_the_command_line_names_a_missing_file(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo_report.py"), str(tmp_path / "absent.jsonl")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "absent.jsonl" in result.stderr
