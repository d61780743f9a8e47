#!/usr/bin/env python3
"""The story of a D6G demo run, told from the JSON-lines event logs its programs write
(`--events FILE`, one {"t", "role", "event", …} object a line): one readable line per event, the
figures PROTOCOL.md §Figures to report asks for, `timeline.json` and `chart.svg`. Standard library
only, so it runs wherever the demo runs.

    python3 scripts/demo_report.py --out report/ secaas.jsonl mlfo.jsonl agent-*.jsonl

The figures:
- step latency p50 / p99 (nearest rank) over the steps that passed;
- round time: the first challenge of a round to the last result (answered, missed or declined)
  of its steps; a round whose steps did not all end is "not reached";
- tamper → revocation: the demo altering an agent's image to the agent's revocation;
- the exposure window, twice: revocation → rekey (the first epoch after it that leaves the agent
  out) and tamper → rekey (the same epoch, from the compromise);
- silence → unreachable: the demo stopping an agent to its revocation as "unreachable".
A window that never closed is "not reached"; a percentile or median of nothing is "n/a". Each
`traffic` event counts the frames since its receiver's previous one (AgentTraffic.takeCounts
resets them), so the totals are sums.
"""
from __future__ import annotations

import argparse
import html
import json
import math
import statistics
import sys
from pathlib import Path

NOT_REACHED = "not reached"
NO_SAMPLES = "n/a"

# The fields that name an agent, and where its name may sit beside the address ("agent_id").
AGENT_FIELDS = ("agent", "prover", "challenger", "blamed")
STEP_RESULTS = ("step_answered", "step_missed", "step_declined")


# Loading

def load(paths) -> tuple[list[dict], int]:
    """Every well-formed event of the files, in time order, and how many lines were malformed.
    A line is well formed when it is a JSON object with a finite number "t" and a string
    "event"; blank lines are neither."""
    events, skipped = [], 0
    for path in paths:
        # Bad bytes become U+FFFD, so a torn write costs its line, not the file.
        with open(path, encoding="utf-8", errors="replace") as file:
            for line in file:
                if not line.strip():
                    continue
                event = parsed(line)
                if event is None:
                    skipped += 1
                else:
                    events.append(event)
    return in_time_order(events), skipped


def parsed(line: str) -> dict | None:
    try:
        # NaN and Infinity are not JSON; refusing them keeps timeline.json strict JSON too.
        event = json.loads(line, parse_constant=refuse_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(event, dict) or not isinstance(event.get("event"), str):
        return None
    if not is_number(event.get("t")) or not math.isfinite(event["t"]):
        return None
    return event


def refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def in_time_order(events) -> list[dict]:
    # Stable: events of the same instant keep the order of their files.
    return sorted(events, key=lambda event: event["t"])


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_latency(value) -> bool:
    return is_number(value) and math.isfinite(value) and value >= 0


def of_kind(events, kind: str) -> list[dict]:
    return [event for event in events if event["event"] == kind]


# Who is who

def is_address(value) -> bool:
    if not isinstance(value, str) or len(value) != 42 or value[:2] not in ("0x", "0X"):
        return False
    return all(character in "0123456789abcdefABCDEF" for character in value[2:])


class Names:
    """Agent names learnt from the events that carry both an address and a name ("agent" with
    "agent_id", "prover" with "prover_id", …), so that an agent named in one place and only
    addressed in another (an epoch's members) is recognised as the same agent."""

    def __init__(self, events):
        self.name_of: dict[str, str] = {}     # lower-case address → name
        self.address_of: dict[str, str] = {}  # name → lower-case address
        for event in events:
            for field in AGENT_FIELDS:
                address, name = event.get(field), event.get(field + "_id")
                if is_address(address) and isinstance(name, str) and name:
                    self.name_of.setdefault(address.lower(), name)
                    self.address_of.setdefault(name, address.lower())

    def key(self, reference) -> str | None:
        """One identity per agent whichever way it is named: its address when known."""
        if is_address(reference):
            return reference.lower()
        if isinstance(reference, str) and reference:
            return self.address_of.get(reference, reference)
        return None

    def key_of(self, event: dict, field: str) -> str | None:
        """The identity of the agent in `field`, or by the name beside it when the address is missing."""
        return self.key(event.get(field)) or self.key(event.get(field + "_id"))

    def label(self, reference) -> str:
        """The agent's name when known, else a shortened address."""
        if is_address(reference):
            return self.name_of.get(reference.lower()) or f"{reference[:8]}…{reference[-4:]}"
        if reference is None:
            return "?"
        return shown(reference)

    def of(self, event: dict, field: str) -> str:
        """The label of the agent in `field`, preferring the name written beside it."""
        name = event.get(field + "_id")
        return name if isinstance(name, str) and name else self.label(event.get(field))


# Figures

def figures(events) -> dict:
    """The run's figures (see the module's docstring), as timeline.json holds them: times in
    whole milliseconds, or "not reached" / "n/a"."""
    events = in_time_order(events)
    names = Names(events)
    start = events[0]["t"] if events else 0.0
    return {
        "events": len(events),
        "steps": step_counts(events),
        "step_latency": step_latency(events),
        "round_time": round_time(events),
        "tamper_to_revocation": tamper_to_revocation(events, names, start),
        "exposure": {
            "revocation_to_rekey": revocation_to_rekey(events, names, start),
            "tamper_to_rekey": tamper_to_rekey(events, names, start),
        },
        "silence_to_unreachable": silence_to_unreachable(events, names, start),
        "traffic": traffic_totals(events),
        "phases": phases(events, start),
    }


def nearest_rank(samples, percent: float):
    """The nearest-rank percentile: the smallest sample with at least `percent` % of the samples
    at or below it."""
    if not samples:
        return NO_SAMPLES
    ordered = sorted(samples)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def step_counts(events) -> dict:
    answered = of_kind(events, "step_answered")
    passed = sum(1 for event in answered if event.get("passed") is True)
    return {"answered": len(answered), "passed": passed, "failed": len(answered) - passed,
            "declined": len(of_kind(events, "step_declined")), "missed": len(of_kind(events, "step_missed"))}


def step_latency(events) -> dict:
    samples = [event["latency_ms"] for event in of_kind(events, "step_answered")
               if event.get("passed") is True and is_latency(event.get("latency_ms"))]
    return {"steps": len(samples), "p50_ms": whole(nearest_rank(samples, 50)),
            "p99_ms": whole(nearest_rank(samples, 99))}


def round_time(events) -> dict:
    begun, first_challenge, last_result, finished_steps = {}, {}, {}, {}
    for event in events:
        number = event.get("round")
        if not is_count(number):
            continue
        kind = event["event"]
        if kind == "round_begun":
            begun.setdefault(number, event)
        elif kind == "step_challenged":
            first_challenge.setdefault(number, event["t"])
        elif kind in STEP_RESULTS:
            last_result[number] = event["t"]
            finished_steps.setdefault(number, set()).add(shown(event.get("step")))
    rounds = []
    for number in sorted(begun.keys() | first_challenge.keys() | last_result.keys()):
        steps = begun[number].get("steps") if number in begun else None
        finished = len(finished_steps.get(number, ()))
        # A round with no challenge at all (every step declined or missed) starts when begun.
        start = first_challenge.get(number, begun[number]["t"] if number in begun else None)
        end = last_result.get(number)
        # The log may stop mid-round: a round shorter than its steps would flatter the median.
        unfinished = is_count(steps) and finished < steps
        if start is None or end is None or end < start or unfinished:
            duration = NOT_REACHED
        else:
            duration = whole((end - start) * 1000)
        rounds.append({"round": number, "steps": steps, "finished": finished, "ms": duration})
    durations = [entry["ms"] for entry in rounds if entry["ms"] != NOT_REACHED]
    median = whole(statistics.median(durations)) if durations else NO_SAMPLES
    return {"median_ms": median, "rounds": rounds}


def first_revocation_after(events, names: Names, agent: str, after: float, reason: str | None = None):
    for event in events:
        if event["event"] != "agent_revoked" or event["t"] < after:
            continue
        if names.key_of(event, "agent") == agent and (reason is None or event.get("reason") == reason):
            return event
    return None


def member_keys(epoch: dict, names: Names) -> set[str]:
    return {names.key(member) for member in epoch["members"]}


def is_epoch(event: dict) -> bool:
    return event["event"] == "epoch_published" and isinstance(event.get("members"), list)


def groups_holding(events, names: Names, agent: str, before: float) -> set[str]:
    """The groups whose latest epoch before `before` keyed the agent."""
    latest = {}
    for event in events:
        if event["t"] > before:
            break
        if is_epoch(event):
            latest[shown(event.get("group"))] = event
    return {group for group, epoch in latest.items() if agent in member_keys(epoch, names)}


def first_rekey_without(events, names: Names, agent: str, after: float):
    """The first epoch published from `after` on that leaves the agent out, in a group that
    keyed it until then: an epoch of a group it never belonged to cuts nothing off. When no group
    holds it any more (skipped already, say), the first epoch without it shows it is out."""
    its_groups = groups_holding(events, names, agent, after)
    for event in events:
        if event["t"] < after or not is_epoch(event):
            continue
        if its_groups and shown(event.get("group")) not in its_groups:
            continue
        if agent not in member_keys(event, names):
            return event
    return None


def elapsed_ms(start: dict, end: dict | None):
    return whole((end["t"] - start["t"]) * 1000) if end is not None else NOT_REACHED


def seconds_in(event: dict, start: float) -> float:
    return round(event["t"] - start, 3)


def epoch_of(epoch: dict | None) -> dict:
    if epoch is None:
        return {"group": None, "epoch": None}
    return {"group": epoch.get("group"), "epoch": epoch.get("epoch")}


def tamper_to_revocation(events, names: Names, start: float) -> list[dict]:
    windows = []
    for tamper in of_kind(events, "tamper"):
        agent = names.key_of(tamper, "agent")
        revocation = first_revocation_after(events, names, agent, tamper["t"]) if agent else None
        windows.append({"agent": names.of(tamper, "agent"), "at_s": seconds_in(tamper, start),
                        "ms": elapsed_ms(tamper, revocation)})
    return windows


def revocation_to_rekey(events, names: Names, start: float) -> list[dict]:
    windows = []
    for revocation in of_kind(events, "agent_revoked"):
        agent = names.key_of(revocation, "agent")
        rekey = first_rekey_without(events, names, agent, revocation["t"]) if agent else None
        windows.append({"agent": names.of(revocation, "agent"), "reason": revocation.get("reason"),
                        "at_s": seconds_in(revocation, start), "ms": elapsed_ms(revocation, rekey),
                        **epoch_of(rekey)})
    return windows


def tamper_to_rekey(events, names: Names, start: float) -> list[dict]:
    """Compromise to cut-off: the tamper, its agent's revocation, then the rekey that left it out."""
    windows = []
    for tamper in of_kind(events, "tamper"):
        agent = names.key_of(tamper, "agent")
        revocation = first_revocation_after(events, names, agent, tamper["t"]) if agent else None
        rekey = first_rekey_without(events, names, agent, revocation["t"]) if revocation else None
        windows.append({"agent": names.of(tamper, "agent"), "at_s": seconds_in(tamper, start),
                        "ms": elapsed_ms(tamper, rekey), **epoch_of(rekey)})
    return windows


def silence_to_unreachable(events, names: Names, start: float) -> list[dict]:
    windows = []
    for silence in of_kind(events, "silence"):
        agent = names.key_of(silence, "agent")
        revocation = first_revocation_after(events, names, agent, silence["t"], "unreachable") if agent else None
        windows.append({"agent": names.of(silence, "agent"), "at_s": seconds_in(silence, start),
                        "ms": elapsed_ms(silence, revocation)})
    return windows


def traffic_totals(events) -> dict:
    accepted, dropped = 0, {}
    for event in of_kind(events, "traffic"):
        if is_count(event.get("accepted")):
            accepted += event["accepted"]
        if isinstance(event.get("dropped"), dict):
            for reason, count in event["dropped"].items():
                if is_count(count):
                    dropped[reason] = dropped.get(reason, 0) + count
    return {"accepted": accepted, "dropped": dropped}


def phases(events, start: float) -> list[dict]:
    return [{"name": shown(event.get("name")), "at_s": seconds_in(event, start),
             "latency_ms": whole(event["latency_ms"]) if is_latency(event.get("latency_ms")) else None}
            for event in of_kind(events, "phase")]


def whole(value):
    """Whole milliseconds: the clocks behind these figures are no finer."""
    return round(value) if is_number(value) else value


# Words

def shown(value) -> str:
    """A field's value as text: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def printable(text: str) -> str:
    """The text with control characters spelled out: the logs come from other processes, and a
    stray escape sequence must not drive the terminal (nor break the SVG's XML)."""
    return "".join(character if character.isprintable() else f"\\x{ord(character):02x}"
                   if ord(character) < 0x100 else f"\\u{ord(character):04x}" for character in text)


def milliseconds(value) -> str:
    if not is_number(value):
        return shown(value)  # "not reached", "n/a", or whatever a broken line held
    if float(value).is_integer() or value >= 10:
        return f"{value:.0f} ms"
    return f"{value:.1f} ms"


def step_of(event: dict) -> str:
    return f"round {shown(event.get('round', '?'))} step {shown(event.get('step', '?'))}"


def round_begun_sentence(event, names):
    initial = event.get("initial")
    extra = f", {initial} initial attestations" if is_count(initial) and initial > 0 else ""
    return f"round {shown(event.get('round', '?'))} begun: {shown(event.get('steps', '?'))} steps{extra}"


def step_challenged_sentence(event, names):
    fallback = " (fallback)" if event.get("fallback") is True else ""
    return f"{step_of(event)}: {names.of(event, 'prover')} challenged by {names.of(event, 'challenger')}{fallback}"


def step_answered_sentence(event, names):
    verdict = "passed" if event.get("passed") is True else "FAILED"
    block = f", block {shown(event['block'])}" if "block" in event else ""
    return f"{step_of(event)}: {names.of(event, 'prover')} {verdict} in {milliseconds(event.get('latency_ms', '?'))}{block}"


def step_declined_sentence(event, names):
    return f"{step_of(event)}: declined, {names.of(event, 'prover')} is out"


def step_missed_sentence(event, names):
    if event.get("blamed") is None:
        return f"{step_of(event)}: deadline passed, skipped"
    return f"{step_of(event)}: deadline passed, a miss for {names.of(event, 'blamed')}"


def agent_revoked_sentence(event, names):
    block = f" at block {shown(event['block'])}" if "block" in event else ""
    return f"{names.of(event, 'agent')} REVOKED ({shown(event.get('reason', '?'))}){block}"


def agent_missed_sentence(event, names):
    block = f" at block {shown(event['block'])}" if "block" in event else ""
    return f"{names.of(event, 'agent')} missed a step{block}"


def epoch_published_sentence(event, names):
    members = event.get("members")
    count = len(members) if isinstance(members, list) else "?"
    skipped = event.get("skipped")
    skipped_text = f", skipped {', '.join(names.label(agent) for agent in skipped)}" if isinstance(skipped, list) and skipped else ""
    reason = f" ({shown(event['reason'])})" if "reason" in event else ""
    latency = event.get("latency_ms")
    latency_text = f", {milliseconds(latency)} after the trigger" if is_number(latency) else ""
    return (f"epoch {shown(event.get('epoch', '?'))} of group {names.label(event.get('group'))} published: "
            f"{count} member{'' if count == 1 else 's'}{skipped_text}{reason}{latency_text}")


def group_key_opened_sentence(event, names):
    return f"{names.of(event, 'agent')} opened the group key of epoch {shown(event.get('epoch', '?'))}"


def key_rotated_sentence(event, names):
    return f"{names.of(event, 'agent')} rotated to epoch {shown(event.get('epoch', '?'))}"


def traffic_sentence(event, names):
    dropped = event.get("dropped")
    losses = [f"{shown(count)} {reason}" for reason, count in dropped.items() if count] if isinstance(dropped, dict) else []
    dropped_text = f"dropped {', '.join(losses)}" if losses else "nothing dropped"
    return (f"{names.of(event, 'agent')} received in epoch {shown(event.get('epoch', '?'))}: "
            f"{shown(event.get('accepted', '?'))} accepted, {dropped_text}")


def tamper_sentence(event, names):
    return f"TAMPER: the demo altered {names.of(event, 'agent')}'s wrapped image"


def silence_sentence(event, names):
    return f"SILENCE: the demo stopped {names.of(event, 'agent')}"


def phase_sentence(event, names):
    latency = event.get("latency_ms")
    return f"{shown(event.get('name', '?'))}" + (f" ({milliseconds(latency)})" if is_number(latency) else "")


SENTENCES = {
    "round_begun": round_begun_sentence,
    "step_challenged": step_challenged_sentence,
    "step_answered": step_answered_sentence,
    "step_declined": step_declined_sentence,
    "step_missed": step_missed_sentence,
    "agent_revoked": agent_revoked_sentence,
    "agent_missed": agent_missed_sentence,
    "epoch_published": epoch_published_sentence,
    "group_key_opened": group_key_opened_sentence,
    "key_rotated": key_rotated_sentence,
    "traffic": traffic_sentence,
    "tamper": tamper_sentence,
    "silence": silence_sentence,
    "phase": phase_sentence,
}


def generic_sentence(event: dict) -> str:
    fields = ", ".join(f"{name}={shown(value)}" for name, value in event.items() if name not in ("t", "role", "event"))
    return f"{event['event']}: {fields}" if fields else event["event"]


def sentence(event: dict, names: Names) -> str:
    describe = SENTENCES.get(event["event"])
    if describe is None:
        return generic_sentence(event)
    try:
        return describe(event, names)
    except (KeyError, TypeError, ValueError, AttributeError):
        # A known kind with fields of the wrong shape is still shown, as it is.
        return generic_sentence(event)


def render(events, skipped_lines: int = 0) -> list[str]:
    """One line per event in time order, "+12.345s  [role]  what happened", then the summary."""
    events = in_time_order(events)
    names = Names(events)
    start = events[0]["t"] if events else 0.0
    lines = [f"+{event['t'] - start:.3f}s  [{printable(shown(event.get('role', '?')))}]  {printable(sentence(event, names))}"
             for event in events]
    return lines + [printable(line) for line in summary(figures(events), skipped_lines)]


def describe_windows(windows: list[dict], at_most: int | None = None) -> str:
    """"agent-5 640 ms, agent-6 not reached", or, past `at_most` entries, the worst of them."""
    if not windows:
        return "none"
    if at_most is not None and len(windows) > at_most:
        reached = [window["ms"] for window in windows if is_number(window["ms"])]
        missing = len(windows) - len(reached)
        worst = f"worst {milliseconds(max(reached))} of {len(windows)}" if reached else f"{len(windows)}"
        return worst + (f", {missing} {NOT_REACHED}" if missing else "")
    return ", ".join(f"{window['agent']} {milliseconds(window['ms'])}" for window in windows)


def headline(numbers: dict) -> str:
    latency = numbers["step_latency"]
    return (f"step latency p50 {milliseconds(latency['p50_ms'])}, p99 {milliseconds(latency['p99_ms'])} "
            f"over {latency['steps']} passed steps")


def round_line(numbers: dict) -> str:
    rounds = numbers["round_time"]
    timed = sum(1 for entry in rounds["rounds"] if entry["ms"] != NOT_REACHED)
    return f"round time median {milliseconds(rounds['median_ms'])} over {timed} rounds"


def summary(numbers: dict, skipped_lines: int) -> list[str]:
    steps, exposure, traffic = numbers["steps"], numbers["exposure"], numbers["traffic"]
    lines = ["", "summary",
             f"  events: {numbers['events']}, malformed lines skipped: {skipped_lines}",
             f"  steps: {steps['answered']} answered ({steps['passed']} passed, {steps['failed']} failed), "
             f"{steps['declined']} declined, {steps['missed']} missed",
             f"  {headline(numbers)}",
             f"  {round_line(numbers)}"]
    for entry in numbers["round_time"]["rounds"]:
        lines.append(f"    round {entry['round']}: {shown(entry['steps'])} steps, {milliseconds(entry['ms'])}")
    revocations = ", ".join(f"{window['agent']} ({shown(window['reason'])}) {milliseconds(window['ms'])}"
                            + (f" (epoch {shown(window['epoch'])} of group {shown(window['group'])})" if window["epoch"] is not None else "")
                            for window in exposure["revocation_to_rekey"]) or "none"
    dropped = ", ".join(f"{count} {reason}" for reason, count in traffic["dropped"].items() if count) or "nothing"
    lines += [f"  tamper → revocation: {describe_windows(numbers['tamper_to_revocation'])}",
              f"  exposure, revocation → rekey: {revocations}",
              f"  exposure, tamper → rekey: {describe_windows(exposure['tamper_to_rekey'])}",
              f"  silence → unreachable: {describe_windows(numbers['silence_to_unreachable'])}",
              f"  traffic: {traffic['accepted']} accepted, dropped {dropped}"]
    timed_phases = [f"{phase['name']} {milliseconds(phase['latency_ms'])}" for phase in numbers["phases"] if phase["latency_ms"] is not None]
    if timed_phases:
        lines.append(f"  phases: {', '.join(timed_phases)}")
    return lines


# The chart

WIDTH, HEIGHT = 900, 420
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 70, 880, 84, 330
PASSED, FAILED = "#2e7d32", "#c62828"
LABEL_CHARACTER_WIDTH = 6  # pixels, roughly, at the labels' 10 px
# The vertical markers: the event kind → (class, colour, what the marker's label says).
MARKERS = {
    "agent_revoked": ("revocation", "#c62828", lambda event, names: names.of(event, "agent")),
    "epoch_published": ("epoch", "#1565c0", lambda event, names: f"epoch {shown(event.get('epoch', '?'))}"),
    "tamper": ("tamper", "#ef6c00", lambda event, names: f"tamper {names.of(event, 'agent')}"),
    "silence": ("silence", "#757575", lambda event, names: f"silence {names.of(event, 'agent')}"),
}


def node(name: str, text: str | None = None, inner: tuple[str, ...] | list[str] = (), **attributes) -> str:
    """One XML element, every attribute and text escaped. Python names stand for SVG ones:
    `class_` is class, `stroke_dasharray` is stroke-dasharray."""
    written = "".join(f' {key.rstrip("_").replace("_", "-")}="{escaped(value)}"' for key, value in attributes.items())
    body = (escaped(text) if text is not None else "") + "".join(inner)
    return f"<{name}{written}>{body}</{name}>" if body else f"<{name}{written}/>"


def escaped(value) -> str:
    if isinstance(value, float):
        value = f"{value:.1f}"
    return html.escape(printable(str(value)), quote=True)


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round tick values from 0 past `maximum`: steps of 1, 2 or 5 times a power of ten."""
    if not maximum > 0:
        maximum = 1.0
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(multiple * magnitude for multiple in (1, 2, 5, 10) if multiple * magnitude >= raw)
    return [round(index * step, 10) for index in range(math.ceil(maximum / step - 1e-9) + 1)]


def tick_label(value: float) -> str:
    return f"{value:g}"


def svg(events) -> str:
    """The run as a self-contained SVG: step latency against time, one circle per answered step
    (green passed, red failed), dashed lines at revocations, epochs, tampers and silences, the
    figures in the title and a legend."""
    events = in_time_order(events)
    names = Names(events)
    numbers = figures(events)
    start = events[0]["t"] if events else 0.0
    answered = [event for event in of_kind(events, "step_answered") if is_latency(event.get("latency_ms"))]

    x_ticks = nice_ticks(events[-1]["t"] - start if events else 0.0)
    # A little headroom, so that the slowest step is not drawn on the frame.
    slowest = max((event["latency_ms"] for event in answered), default=None)
    y_ticks = nice_ticks(1.05 * slowest if slowest is not None else 1000.0)

    def x(seconds: float) -> float:
        return PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * seconds / x_ticks[-1]

    def y(latency: float) -> float:
        return PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * latency / y_ticks[-1]

    title = f"D6G demo run: {headline(numbers)}"
    parts = [node("title", title),
             node("rect", x=0, y=0, width=WIDTH, height=HEIGHT, fill="white"),
             node("text", title, x=PLOT_LEFT, y=24, font_size=15, font_weight="bold", class_="title")]
    parts += figure_lines(numbers)
    parts += axes(x_ticks, y_ticks, x, y)
    labelled = []  # (x, where the label ends) of the markers so far
    for event in events:
        if event["event"] in MARKERS:
            at = x(event["t"] - start)
            top = label_top(at, labelled)
            parts.append(marker(event, names, at, top))
            labelled.append((at, top + LABEL_CHARACTER_WIDTH * len(marker_label(event, names))))
    for event in answered:
        passed = event.get("passed") is True
        parts.append(node("circle", inner=[node("title", sentence(event, names))],
                          cx=x(event["t"] - start), cy=y(event["latency_ms"]), r=4,
                          fill=PASSED if passed else FAILED, class_="step passed" if passed else "step failed"))
    if not answered:
        parts.append(node("text", "no answered steps", x=(PLOT_LEFT + PLOT_RIGHT) / 2, y=(PLOT_TOP + PLOT_BOTTOM) / 2,
                          text_anchor="middle", fill="#757575", class_="empty"))
    parts += legend()
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">\n'
            + "\n".join(parts) + "\n</svg>\n")


def figure_lines(numbers: dict) -> list[str]:
    exposure = numbers["exposure"]
    first = (f"{round_line(numbers)} · tamper→revocation {describe_windows(numbers['tamper_to_revocation'], 3)}"
             f" · silence→unreachable {describe_windows(numbers['silence_to_unreachable'], 3)}")
    second = (f"exposure: revocation→rekey {describe_windows(exposure['revocation_to_rekey'], 3)}"
              f" · tamper→rekey {describe_windows(exposure['tamper_to_rekey'], 3)}")
    return [node("text", first, x=PLOT_LEFT, y=46, font_size=12, class_="figures"),
            node("text", second, x=PLOT_LEFT, y=64, font_size=12, class_="figures")]


def axes(x_ticks, y_ticks, x, y) -> list[str]:
    parts = []
    for value in y_ticks:
        parts.append(node("line", x1=PLOT_LEFT, x2=PLOT_RIGHT, y1=y(value), y2=y(value), stroke="#e0e0e0", class_="grid"))
        parts.append(node("text", tick_label(value), x=PLOT_LEFT - 6, y=y(value) + 4, text_anchor="end", class_="y-tick"))
    for value in x_ticks:
        parts.append(node("line", x1=x(value), x2=x(value), y1=PLOT_BOTTOM, y2=PLOT_BOTTOM + 5, stroke="black"))
        parts.append(node("text", tick_label(value), x=x(value), y=PLOT_BOTTOM + 18, text_anchor="middle", class_="x-tick"))
    parts += [node("line", x1=PLOT_LEFT, x2=PLOT_RIGHT, y1=PLOT_BOTTOM, y2=PLOT_BOTTOM, stroke="black", class_="axis"),
              node("line", x1=PLOT_LEFT, x2=PLOT_LEFT, y1=PLOT_TOP, y2=PLOT_BOTTOM, stroke="black", class_="axis"),
              node("text", "seconds since the first event", x=(PLOT_LEFT + PLOT_RIGHT) / 2, y=PLOT_BOTTOM + 36,
                   text_anchor="middle", class_="axis-label"),
              node("text", "step latency (ms)", x=18, y=(PLOT_TOP + PLOT_BOTTOM) / 2, text_anchor="middle",
                   transform=f"rotate(-90 18 {(PLOT_TOP + PLOT_BOTTOM) / 2})", class_="axis-label")]
    return parts


def marker_label(event: dict, names: Names) -> str:
    _, _, label_of = MARKERS[event["event"]]
    return label_of(event, names)


def label_top(at: float, labelled: list[tuple[float, float]]) -> float:
    """Where a marker's label starts: at the top, or below the labels of the markers just before
    it when they stand too close to read apart; back at the top when the plot has no room left."""
    top = PLOT_TOP + 2
    for other, bottom in labelled:
        if abs(at - other) < 12:
            top = max(top, bottom + 8)
    return top if top < PLOT_BOTTOM - 40 else PLOT_TOP + 2


def marker(event: dict, names: Names, at: float, top: float) -> str:
    kind, colour, _ = MARKERS[event["event"]]
    # The label runs down beside its line: markers close in time would overwrite level labels.
    return node("g", inner=[
        node("title", sentence(event, names)),
        node("line", x1=at, x2=at, y1=PLOT_TOP, y2=PLOT_BOTTOM, stroke=colour, stroke_dasharray="5 4",
             class_=f"marker {kind}"),
        node("text", marker_label(event, names), x=at + 3, y=top, fill=colour, font_size=10,
             transform=f"rotate(90 {at + 3:.1f} {top:.1f})", class_=f"marker-label {kind}"),
    ])


def legend() -> list[str]:
    entries = [("circle", PASSED, "passed step"), ("circle", FAILED, "failed step")]
    entries += [("line", colour, name) for name, (_, colour, _) in
                (("revocation", MARKERS["agent_revoked"]), ("new epoch", MARKERS["epoch_published"]),
                 ("tamper", MARKERS["tamper"]), ("silence", MARKERS["silence"]))]
    parts, left, top = [], PLOT_LEFT, HEIGHT - 24
    for shape, colour, name in entries:
        if shape == "circle":
            parts.append(node("circle", cx=left + 6, cy=top, r=4, fill=colour))
        else:
            parts.append(node("line", x1=left, x2=left + 14, y1=top, y2=top, stroke=colour, stroke_dasharray="5 4", stroke_width=2))
        parts.append(node("text", name, x=left + 20, y=top + 4))
        left += 130
    return [node("g", inner=parts, class_="legend")]


# The command line

def main(arguments=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="a directory for timeline.json and chart.svg (made if missing)")
    parser.add_argument("files", nargs="+", help="JSON-lines event logs of the run")
    options = parser.parse_args(arguments)
    try:
        events, skipped = load(options.files)
    except OSError as error:
        print(f"demo_report: cannot read {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    for line in render(events, skipped):
        print(line)
    if options.out:
        out = Path(options.out)
        out.mkdir(parents=True, exist_ok=True)
        timeline = {"events": events, "figures": figures(events), "skipped_lines": skipped}
        (out / "timeline.json").write_text(json.dumps(timeline, indent=1) + "\n", encoding="utf-8")
        (out / "chart.svg").write_text(svg(events), encoding="utf-8")
        print(f"\nwrote {out / 'timeline.json'} and {out / 'chart.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
