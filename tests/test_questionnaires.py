"""The questionnaire engine: one test per validation error, the core instrument's content,
a second instrument in the same format, and the `maps questionnaire` commands."""

import json

import pytest
from typer.testing import CliRunner

from app.cli import app as cli
from app.questionnaires.loader import HERE, InvalidQuestionnaire, load_catalogue, load_file, parse
from tests.conftest import DATA

VALID = """\
key: tiny
version: 1
title: Tiny
scales:
  yn:
    options:
      - {value: 0, label: "No"}
      - {value: 1, label: "Yes"}
      - {value: dk, label: Don't know, missing: true}
tag_vocabulary:
  theme: [a, b]
sections:
  - id: one
    title: One
    items:
      - id: first
        text: First statement.
        scale: yn
        tags: {theme: a}
        source: Local
      - id: second
        text: Second statement.
        scale: yn
        source: Local
"""


YES = "{value: 1, label: \"Yes\"}"


def errors_of(text: str) -> list:
    with pytest.raises(InvalidQuestionnaire) as caught:
        parse(text, "bad.yaml")
    return caught.value.errors


def test_valid_definition_loads():
    q = parse(VALID)
    assert q.ref == "tiny@1"
    assert [i.id for i in q.items] == ["first", "second"]
    assert q.item("first").score("1") == 100.0
    assert q.item("first").score("dk") is None


# The line is that of the field at fault (of the item, when a field is missing).
@pytest.mark.parametrize("change, expected, line", [
    (("scale: yn\n        tags", "scale: nope\n        tags"), "unknown scale 'nope'", 18),
    (("id: second", "id: first"), "duplicate item id", 21),
    (("tags: {theme: a}", "tags: {colour: a}"), "unknown tag 'colour'", 19),
    (("tags: {theme: a}", "tags: {theme: z}"), "unknown value 'z' for tag 'theme'", 19),
    (("text: First statement.", "text: ''"), "'text' is missing or empty", 17),
    (("        text: First statement.\n", ""), "'text' is missing", 16),
    (("source: Local\n      - id", "source: ''\n      - id"), "'source' is missing or empty", 20),
    (("scale: yn\n        source", "scale: yn\n        reverse: yes-please\n        source"),
     "'reverse' must be true or false, not 'yes-please'", 24),
    (("        tags: {theme: a}\n", "        tagz: {theme: a}\n"),
     "unknown field 'tagz' in an item (allowed: for_each, help, id, reverse, scale, source, "
     "tags, text, weight)",
     19),
    (("id: first", "id: First-Item"), "'id' must be lowercase letters, digits and '_'", 16),
    (("version: 1", "version: one"), "'version' must be a whole number, not 'one'", 2),
    (("version: 1", "version: 0"), "'version' must be at least 1, not 0", 2),
    (("key: tiny", "key: Tiny Key"), "'key' must be lowercase letters, digits and hyphens", 1),
    ((YES, "{value: 0, label: \"Yes\"}"), "scale 'yn': option value '0' is used twice", 8),
    ((YES, "{value: -1, label: \"Yes\"}"), "scale 'yn': scored options must be listed from "
                                         "lowest to highest", 5),
    ((YES, "{value: sure, label: \"Yes\"}"), "scored options need numbers", 8),
    (("id: one", "id: one\n    items: []\n  - id: one"), "duplicate section id 'one'", 15),
])
def test_each_kind_of_error_is_reported_with_its_place(change, expected, line):
    old, new = change
    assert old in VALID
    errors = errors_of(VALID.replace(old, new, 1))
    matching = [e for e in errors if expected in str(e)]
    assert matching, [str(e) for e in errors]
    assert matching[0].line == line
    assert matching[0].file == "bad.yaml"


def test_every_error_is_listed_not_just_the_first():
    broken = VALID.replace("scale: yn\n        tags", "scale: nope\n        tags").replace(
        "text: Second statement.", "text: ''")
    messages = [str(e) for e in errors_of(broken)]
    assert any("item first: unknown scale" in m for m in messages)
    assert any("item second: 'text' is missing" in m for m in messages)


def test_malformed_yaml_names_the_line():
    errors = errors_of("key: x\nversion: 1\nsections: [\n  - {id: a\n")
    assert errors[0].message.startswith("not valid YAML")
    assert errors[0].line is not None


@pytest.mark.parametrize("text", ["", "- a list\n", "just text", "42"])
def test_a_file_that_is_not_a_mapping(text):
    assert "must be a mapping" in errors_of(text)[0].message


def test_every_shipped_questionnaire_loads():
    catalogue = load_catalogue()
    shipped = list(HERE.glob("*.yaml"))
    assert shipped
    assert len(list(catalogue)) == len(shipped)


def test_core_instrument_covers_every_factor_both_ways(core):
    factors = {
        "working_relationships": ["role_demarcation", "commitment", "trust_mutual_respect",
                                  "understanding_other_agencies"],
        "multi_agency_processes": ["communication", "clarity_of_purpose",
                                   "planning_consultation", "organisational_aspects",
                                   "information_exchange"],
        "resources": ["funding", "staffing", "time"],
        "management_governance": ["leadership", "governance_accountability",
                                  "performance_management"],
    }
    for area, names in factors.items():
        for factor in names:
            items = list(core.tagged("factor", factor))
            assert any(not i.reverse for i in items), f"{factor} has no facilitator"
            assert any(i.reverse for i in items), f"{factor} has no challenge"
            assert all(i.has_tag("area", area) for i in items), factor


def test_core_instrument_has_the_dimension_questions_of_section_2_4(core):
    counts = {d: sum(1 for i in core.tagged("dimension", d) if i.has_tag("part", "dimensions"))
              for d in ("organisation", "joint_investment", "integration")}
    assert counts == {"organisation": 4, "joint_investment": 5, "integration": 5}


def test_core_instrument_has_structural_items_for_every_typology_level(core):
    for level in ("autonomous", "coordinated", "integrated"):
        assert list(core.tagged("townsley", level)), level
    for rung in "12345":
        assert len(list(core.tagged("gaster", rung))) >= 2, rung
    for key in ("fox_butler_stage", "fox_butler_function", "audit_commission", "atkinson",
                "watson"):
        assert set(core.tag_values(key)) == set(core.tag_vocabulary[key]), key
    structural = list(core.tagged("part", "structure"))
    assert all(i.scale.id in ("fact", "fact_na", "frequency") for i in structural)


def test_core_instrument_is_a_sensible_length_and_cites_its_sources(core):
    # Version 2 states one fact per structural question, so it is longer than version 1.
    assert 70 <= len(core.items) <= 140
    for item in core.items:
        assert item.source.strip(), item.id
        assert len(item.text) <= 200, item.id
        assert any(o.missing for o in item.scale.options), f"{item.id} has no don't know"


def test_a_second_instrument_with_its_own_scale_and_bands():
    local = load_file(DATA / "local-partnership-check.yaml")
    assert local.item("papers_late").score("1") == 100.0  # reverse: "not at all" is best
    assert local.item("meetings_quorate").score("na") is None
    bands = local.bands
    # Bands read on the four-point scale: 3.5+ strength, 2.5+ borderline, else concern.
    assert bands.band(100 * (3.5 - 1) / 3) == "strength"
    assert bands.band(100 * (3.4 - 1) / 3) == "borderline"
    assert bands.band(100 * (2.4 - 1) / 3) == "concern"


runner = CliRunner()


def test_cli_validate_passes_good_files():
    result = runner.invoke(cli, ["questionnaire", "validate",
                                 str(HERE / "multi-agency-working.yaml"),
                                 str(DATA / "local-partnership-check.yaml")])
    assert result.exit_code == 0, result.output
    assert "OK (multi-agency-working@1" in result.output


def test_cli_validate_lists_every_error_and_exits_1(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("scale: yn\n        tags", "scale: nope\n        tags")
                   .replace("id: second", "id: first"))
    result = runner.invoke(cli, ["questionnaire", "validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:18: item first: unknown scale 'nope'" in result.output
    assert "duplicate item id" in result.output


def test_cli_show_json_has_every_items_tags():
    result = runner.invoke(cli, ["questionnaire", "show", "multi-agency-working", "--json"])
    assert result.exit_code == 0
    shown = json.loads(result.output)
    items = [i for s in shown["sections"] for i in s["items"]]
    assert len(items) >= 70
    factors = {i["tags"]["factor"][0] for i in items if "factor" in i["tags"]}
    assert len(factors & {"role_demarcation", "funding", "leadership"}) == 3
    assert any(i["tags"].get("townsley") for i in items)
    assert any(i["tags"].get("gaster") for i in items)


def test_cli_show_unknown_key_fails_clearly():
    result = runner.invoke(cli, ["questionnaire", "show", "no-such-thing"])
    assert result.exit_code == 1
    assert "No questionnaire 'no-such-thing'" in result.output


def test_catalogue_keeps_old_versions(tmp_path):
    (tmp_path / "v1.yaml").write_text(VALID)
    (tmp_path / "v2.yaml").write_text(VALID.replace("version: 1", "version: 2")
                                      .replace("Second statement.", "Second, reworded."))
    catalogue = load_catalogue([tmp_path], builtin=False)
    assert catalogue.get("tiny").version == 2
    assert catalogue.get("tiny", 1).item("second").text == "Second statement."


def test_catalogue_refuses_two_files_with_the_same_version(tmp_path):
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "b.yaml").write_text(VALID)
    with pytest.raises(InvalidQuestionnaire, match="tiny@1 is already defined"):
        load_catalogue([tmp_path], builtin=False)


# --- What the validator catches beyond the shape of the file ---------------------------------

LOCAL = (DATA / "local-partnership-check.yaml").read_text()
CORE = (HERE / "multi-agency-working.yaml").read_text()
LEVELS = "    - {label: strength, min: 3.5}\n    - {label: borderline, min: 2.5}\n" \
         "    - {label: concern, min: 1}\n"


def _with_levels(*levels: str) -> str:
    return LOCAL.replace(LEVELS, "".join(f"    - {{{level}}}\n" for level in levels))


@pytest.mark.parametrize("text, expected, line", [
    # YAML keeps the last of two equal keys silently; a definition must not.
    (LOCAL.replace("  scale: four_point\n  levels", "  scale: five\n  scale: four_point\n"
                                                   "  levels"),
     "key 'scale' is written twice (also on line 18): remove one of them", 19),
    # 75/50/0 on a 1-4 mean: every factor would be "concern".
    (_with_levels("label: strength, min: 75", "label: borderline, min: 50",
                  "label: concern, min: 0"),
     "bands: level 'strength' has min 75, above the highest possible mean on 'four_point' (4)",
     20),
    (_with_levels("label: strength, min: 3.5", "label: borderline, min: 1",
                  "label: concern, min: 0"),
     "bands: level 'borderline' has min 1, at or below the lowest possible mean", 21),
    (LOCAL.replace("basis: mean\n  scale: four_point\n", "basis: score\n").replace(
        "min: 3.5", "min: 350"), "above the highest possible score (100)", 19),
    (_with_levels("label: strength, min: 3.5", "label: strength, min: 2"),
     "bands: two levels have the label strength", 21),
    (LOCAL.replace("      - {value: 2, label: A little}\n", ""),
     "scale 'four_point': scored values 1, 3, 4 are not evenly spaced: there is a gap "
     "between 1 and 3", 8),
    (LOCAL.replace("label: A little}", "label: Mostly}"),
     "scale 'four_point': option label 'Mostly' is used twice (options 2 and 3)", 12),
    (LOCAL.replace("{value: 4,", "{value: .inf,"),
     "scale 'four_point': option 'Completely' needs a finite number, not inf", 13),
    (LOCAL.replace("basis: mean", "basis: total"),
     "bands: basis 'total' needs 'missing': 'prorate'", 16),
    (LOCAL + "tag_bands:\n  theme: {levels: [{label: a, min: 1}]}\n",
     "tag_bands 'theme': tag 'theme' gets no scores, so it has no bands", 46),
    (LOCAL.replace("basis: mean", "basis: score\n  missing: prorate"),
     "bands: 'missing' is only for basis 'total'", 18),
    # Answers keep the option's value in 32 characters, under an item id of at most 64.
    (LOCAL.replace("value: na,", "value: " + "n" * 33 + ","),
     "scale 'four_point': 'value' must be at most 32 characters long", 14),
    (LOCAL.replace("id: papers_late", "id: p" + "x" * 64),
     "'id' must be at most 64 characters long", 34),
])
def test_each_new_kind_of_error_is_reported_with_its_place(text, expected, line):
    errors = errors_of(text)
    matching = [e for e in errors if expected in str(e)]
    assert matching, [str(e) for e in errors]
    assert matching[0].line == line


def test_total_bands_beyond_a_groups_range_are_reported():
    # The three items total 3 to 12 on the four-point scale: a band from 13 is never reached.
    text = _with_levels("label: strength, min: 13", "label: borderline, min: 6",
                        "label: concern, min: 3").replace("basis: mean",
                                                          "basis: total\n  missing: prorate")
    messages = [str(e) for e in errors_of(text)]
    assert messages == ["bad.yaml:21: bands: level 'strength' has min 13, above the highest "
                        "possible total of the overall (3 items) (12)"]


def test_a_total_is_over_one_scale():
    text = LOCAL.replace("basis: mean", "basis: total\n  missing: prorate").replace(
        "bands:", "  yes_no:\n    options: [{value: 0, label: 'No'}, {value: 1, label: 'Yes'}]\n"
                  "bands:").replace("        scale: four_point\n        tags: {theme: data}",
                                    "        scale: yes_no\n        tags: {theme: data}")
    assert [str(e) for e in errors_of(text)] == [
        "bad.yaml:18: bands: the overall has items on scale yes_no: a total is a sum of answers "
        "on one scale ('four_point')"]


def test_a_broken_scale_is_reported_once():
    """An option without its value breaks the scale every item of the core instrument uses:
    that one error, not one more for each item or band that refers to the scale."""
    broken = CORE.replace("- {value: 3, label: Neither agree nor disagree}",
                          "- {label: Neither agree nor disagree}")
    assert [str(e) for e in errors_of(broken)] == [
        "bad.yaml:16: scale 'agreement': 'value' is missing"]


def test_a_broken_vocabulary_is_reported_once():
    broken = LOCAL.replace("theme: [meetings, data]", "theme: 5")
    assert [str(e) for e in errors_of(broken)] == [
        "bad.yaml:24: tag_vocabulary 'theme': needs a list of allowed values, or a mapping of "
        "value: label"]


# --- Links, scoring and weights: each rule of the format, and its message -------------------

@pytest.mark.parametrize("base, added, expected, line", [
    (LOCAL, "links: {recommendations: my-own-library}\n",
     "links: 'recommendations' must be 'review-table-5.1', not 'my-own-library'", 45),
    (LOCAL, "links: {recommendations: review-table-5.1}\n",
     "links: library 'review-table-5.1' has strategies only for its own factors", 45),
    (LOCAL, "links: {typologies: [gaster]}\n",
     "links: typology 'gaster' is linked, but no item is tagged 'gaster'", 45),
    (LOCAL, "links: {typologies: [ladder]}\n", "must be 'townsley', 'gaster',", 45),
    (LOCAL, "links: {typologies: [gaster, gaster]}\n",
     "links: typology 'gaster' is listed twice", 45),
    (LOCAL, "links: {structural_facts: true}\n",
     "links: structural_facts is true, but no item is tagged 'part: structure'", 45),
    (VALID, "scoring: {points: hidden}\n", "scoring: points: hidden leaves nothing to show", 25),
    (LOCAL, "scoring: {group_mean: median}\n",
     "scoring: 'group_mean' must be 'respondents' or 'pooled'", 45),
])
def test_links_and_scoring_rules_are_checked(base, added, expected, line):
    errors = errors_of(base + added)
    matching = [e for e in errors if expected in str(e)]
    assert matching, [str(e) for e in errors]
    assert matching[0].line == line


@pytest.mark.parametrize("weight, expected", [
    ("0", "'weight' must be more than 0, not 0"), ("-1", "'weight' must be more than 0"),
    ("heavy", "'weight' must be a number, not 'heavy'"), ("true", "'weight' must be a number"),
])
def test_a_weight_is_a_positive_number(weight, expected):
    messages = [str(e) for e in errors_of(LOCAL.replace(
        "        reverse: true\n", f"        reverse: true\n        weight: {weight}\n", 1))]
    assert any(expected in m for m in messages), messages


def test_links_name_what_a_definition_asks_for():
    linked = parse(CORE)
    assert linked.links.recommendations == "review-table-5.1"
    assert linked.links.structural_facts is True
    assert set(linked.links.typologies) == {"townsley", "gaster", "fox_butler_stage",
                                            "fox_butler_function", "audit_commission",
                                            "atkinson", "watson"}
    plain = parse(LOCAL)
    assert (plain.links.recommendations, plain.links.typologies,
            plain.links.structural_facts) == (None, (), False)
    assert (plain.scoring.group_mean, plain.scoring.points) == ("respondents", "shown")


def test_total_bands_without_tag_bands_are_one_error_not_one_per_value():
    """Bands on the overall total, read on each area's far smaller total, once said the same
    thing 21 times (7 areas, 3 levels): now one error says what to add."""
    from tests.test_instruments import checklist

    text = checklist()
    text = text[:text.index("tag_bands:")] + text[text.index("sections:"):]
    messages = [str(e) for e in errors_of(text)]
    assert messages == [
        "bad.yaml:9: bands: these bands are read on the total of each area too, and all 7 area "
        "values cannot be banded on them (for one, level 'genuine collaboration' has min 127, "
        "above the highest possible total of area 's1' (5 items) (25)). Give 'area' bands of "
        "its own under tag_bands, on the range of its totals, or write 'area: null' under "
        "tag_bands for no bands"]
    assert parse(text.replace("sections:", "tag_bands: {area: null}\nsections:"))


def test_braces_in_a_message_are_printed_as_written():
    roster = VALID.replace("text: Second statement.", "text: Second about {agency}.")
    assert [e.message for e in errors_of(roster)] == [
        "the text names {agency}, which only a roster item has: add 'for_each: partner_agency'"]


@pytest.mark.parametrize("text, line, expected", [
    ("key: a\nversion: 1\n\ttitle: x\n", 3, "this line is indented with a tab: YAML allows "
                                            "only spaces there. Replace the tab with spaces"),
    ("key: a\ntitle:\tx\n", 2, "this line has a tab after “title:”: YAML allows only spaces"),
])
def test_a_tab_is_explained_in_plain_words(text, line, expected):
    errors = errors_of(text)
    assert (errors[0].line, errors[0].message[:len(expected)]) == (line, expected)


def test_a_file_that_is_not_utf8_says_on_which_line_and_what_to_do(tmp_path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("key: a\nversion: 1\ntitle: Café\n".encode("latin-1"))
    result = runner.invoke(cli, ["questionnaire", "validate", str(latin)])
    assert result.exit_code == 1
    assert f"{latin}:3: this line has a character that is not UTF-8 text" in result.output
    assert "Save the file as UTF-8" in result.output
    assert "codec" not in result.output and "position" not in result.output


def test_every_built_in_definition_is_well_under_the_size_limit():
    # The message for a file over 2 MB says the largest built in is under 100 KB.
    from app.questionnaires.loader import MAX_FILE_BYTES, TOO_LARGE

    assert all(path.stat().st_size < 100_000 for path in HERE.glob("*.yaml"))
    assert "under 100 KB" in TOO_LARGE
    assert errors_of("#" * (MAX_FILE_BYTES + 1))[0].message == TOO_LARGE


def test_vocabulary_labels_with_a_readable_fallback():
    labelled = parse(LOCAL.replace("theme: [meetings, data]",
                                   "theme: {meetings: Board meetings, data_sharing: ''}")
                     .replace("tags: {theme: data}", "tags: {theme: data_sharing}"))
    assert labelled.tag_vocabulary["theme"] == ("meetings", "data_sharing")
    assert labelled.tag_label("theme", "meetings") == "Board meetings"
    assert labelled.tag_label("theme", "data_sharing") == "Data sharing"
    assert parse(LOCAL).tag_label("theme", "meetings") == "Meetings"


def test_the_json_schema_is_generated_from_the_format_and_up_to_date():
    from app.questionnaires.format import json_schema

    published = json.loads((HERE.parent.parent / "docs" / "questionnaire.schema.json")
                           .read_text())
    assert published == json_schema(), "run: maps questionnaire schema > " \
                                       "docs/questionnaire.schema.json"


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")) + sorted(DATA.glob("*.yaml")),
                         ids=lambda p: p.name)
def test_the_json_schema_validates_every_shipped_file(path):
    import jsonschema_rs
    import yaml

    validator = jsonschema_rs.validator_for(json.loads(
        (HERE.parent.parent / "docs" / "questionnaire.schema.json").read_text()))
    document = yaml.safe_load(path.read_text())
    assert [e.message for e in validator.iter_errors(document)] == []
    document["sections"][0]["items"][0]["revrese"] = True
    assert not validator.is_valid(document)


def test_cli_schema_prints_the_published_schema():
    result = runner.invoke(cli, ["questionnaire", "schema"])
    assert result.exit_code == 0
    published = (HERE.parent.parent / "docs" / "questionnaire.schema.json").read_text()
    assert json.loads(result.output) == json.loads(published)


def test_catalogue_adds_directories_to_the_built_in_instruments(tmp_path):
    (tmp_path / "tiny.yaml").write_text(VALID)
    catalogue = load_catalogue([tmp_path])
    assert [i.ref for i in catalogue.instruments()] == [
        "multi-agency-working@2", "multi-agency-working@1", "levels-of-collaboration@1",
            "tiny@1"]
    assert catalogue.instrument("tiny").origin == str(tmp_path / "tiny.yaml")
    assert catalogue.instrument("multi-agency-working").origin == "built in"
    assert catalogue.by_sha256(catalogue.instrument("tiny").sha256).ref == "tiny@1"


def test_the_time_a_questionnaire_takes_grows_with_its_questions_in_steps_of_five_minutes():
    from dataclasses import replace

    from app.questionnaires.loader import load_catalogue
    from app.questionnaires.timing import estimated_minutes

    core = load_catalogue().get("multi-agency-working", 2)
    full = estimated_minutes(core)
    assert full % 5 == 0 and full * 60 >= len(core.items) * 10
    first_part = replace(core, sections=core.sections[:1])
    assert 5 <= estimated_minutes(first_part) < full
