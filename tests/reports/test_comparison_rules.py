"""The comparison's arithmetic (reports/comparison.py) and its sentences: pure, no database."""
import pytest

from reports.aggregate import comparison_sentences
from reports.comparison import compare, percent_change, trend_points


def test_percent_change_is_rounded_half_up_to_one_place():
    assert percent_change(2675, 3134) == 17.2
    assert percent_change(3903, 5653) == 44.8
    assert percent_change(200, 100) == -50.0
    assert percent_change(8, 9) == 12.5 and percent_change(16, 17) == 6.3  # 6.25 -> 6.3
    assert percent_change(0, 5) is None


def test_like_for_like_compares_only_forces_with_both_periods_and_lists_the_others():
    result = compare(base_period="2015-16", period="2016-17",
                     current={"kent": 10, "essex": 7, "surrey": 4},
                     restated={"kent": 8, "essex": 9, "sussex": 3},
                     original={"kent": 6, "sussex": 2, "surrey": 5})
    assert result["base"] == "restated"
    assert result["like_for_like_forces"] == ["essex", "kent"]
    assert (result["base_total"], result["total"], result["change"], result["change_pct"]) == (17, 17, 0, 0.0)
    # What was first published for the same forces: essex had no figures then.
    assert result["original_base_total"] == 6 and result["original_base_forces"] == 1
    assert result["per_force"]["kent"] == {"base": 8, "current": 10, "change": 2, "change_pct": 25.0,
                                           "original_base": 6}
    assert "original_base" not in result["per_force"]["essex"]
    assert result["single_period_forces"] == {"surrey": {"base": None, "current": 4, "original_base": 5},
                                              "sussex": {"base": 3, "current": None, "original_base": 2}}


def test_without_a_restated_base_the_original_is_the_base():
    result = compare(base_period="2015-16", period="2016-17", current={"kent": 12, "essex": 1},
                     restated=None, original={"kent": 10})
    assert result["base"] == "original"
    assert (result["like_for_like_forces"], result["base_total"], result["total"]) == (["kent"], 10, 12)
    assert result["original_base_total"] == 10 and result["change_pct"] == 20.0


def test_a_comparison_needs_a_base():
    with pytest.raises(ValueError, match="base"):
        compare(base_period="2015-16", period="2016-17", current={"kent": 1}, restated=None, original=None)


def test_the_press_release_sentence_of_the_nspcc_example():
    forces = [f"f{i:02d}" for i in range(39)]
    current = {f: 100 for f in forces}
    current["f00"] = 5653 - 38 * 100
    restated = {f: 100 for f in forces}
    restated["f00"] = 3903 - 38 * 100
    result = compare(base_period="2015-16", period="2016-17", current=current, restated=restated,
                     original={"f00": 100, "f01": 100})
    sentences = comparison_sentences(result)
    assert sentences[0] == ("5,653 offences in 2016/17 from 39 forces, 1,750 (44.8%) more than the same forces "
                            "recorded in 2015/16 (3,903).")
    assert "restated" in sentences[1] and "200 first published" in sentences[1] and "2 of them" in sentences[1]


@pytest.mark.parametrize("base, current, expected", [
    (10, 7, "7 offences in 2016/17 from 1 force, 3 (30.0%) fewer than the same force recorded in 2015/16 (10)."),
    (1, 1, "1 offence in 2016/17 from 1 force, the same number as the same force recorded in 2015/16 (1)."),
    (0, 2, "2 offences in 2016/17 from 1 force, 2 more than the same force recorded in 2015/16 (0)."),
])
def test_fewer_more_unchanged_and_singular(base, current, expected):
    result = compare(base_period="2015-16", period="2016-17", current={"kent": current}, restated={"kent": base},
                     original=None)
    sentences = comparison_sentences(result, {"kent": "Kent Police"})
    assert sentences[0] == expected
    assert sentences[1] == "The 2015/16 figures are as the forces restated them in this request."


def test_single_period_forces_are_named_in_a_sentence():
    result = compare(base_period="2015-16", period="2016-17", current={"kent": 3, "essex": 2, "norfolk": 1},
                     restated={"kent": 2, "surrey": 5}, original=None)
    text = comparison_sentences(result, {"essex": "Essex Police", "norfolk": "Norfolk Constabulary",
                                         "surrey": "Surrey Police"})
    assert "2 forces gave figures for 2016/17 only (Essex Police and Norfolk Constabulary) and are not in the " \
           "comparison." in text
    assert "1 force gave figures for 2015/16 only (Surrey Police) and is not in the comparison." in text


def test_nothing_to_compare_says_so():
    result = compare(base_period="2015-16", period="2016-17", current={"kent": 3}, restated={"essex": 2},
                     original=None)
    assert result["change_pct"] is None and result["like_for_like_forces"] == []
    assert comparison_sentences(result)[0].startswith("No force gave figures for both 2015/16 and 2016/17")


def test_trend_points_take_the_latest_restatement_of_each_period():
    points = trend_points([
        {"slug": "a", "period": "2014-15", "published": 90, "restated": {}},
        {"slug": "b", "period": "2015-16", "published": 100, "restated": {"2014-15": 95}},
        {"slug": "c", "period": "2016-17", "published": 120, "restated": {"2015-16": 110, "2014-15": 97}},
    ])
    assert [(p["period"], p["published"], p["restated"], p["restated_by"]) for p in points] == [
        ("2014-15", 90, 97, "c"), ("2015-16", 100, 110, "c"), ("2016-17", 120, None, None)]
