"""A return's figures per period and what they restate (collection/returns/restatement.py, pure)."""
from collection.importer import TidyRow
from collection.returns.restatement import Held, change, figures_by_period, in_words


def row(n, period, suppressed=False):
    return TidyRow("88A", 14, None, None, "", "", None if suppressed else n, suppressed, "*" if suppressed else "",
                   period)


def test_figures_per_period_earliest_first_in_words():
    figures = figures_by_period([row(54, "2016-17"), row(30, "2015-16"), row(50, ""), row(0, "2015-16", True)],
                                main_label="2016-17")
    assert [(f.label, f.total, f.cells, f.suppressed) for f in figures] == [("2015-16", 30, 2, 1),
                                                                            ("2016-17", 104, 2, 0)]
    assert in_words(figures) == "2015/16: 30 offences (1 suppressed cell); 2016/17: 104"
    one = figures_by_period([row(1, "2016-01-01..2016-12-31")], main_label="x")
    assert in_words(one) == "1 Jan 2016 to 31 Dec 2016: 1 offence"


def test_what_a_file_restates():
    figures = figures_by_period([row(80, "2015-16"), row(54, "2016-17")], "2016-17",
                                held={"2015-16": Held(73, 4)}, first_given={"2015-16": Held(1_200, 9)})
    assert [f.restates for f in figures] == ["restates 2015/16: 73 → 80 (+7)", ""]
    assert figures[0].first_given_in("Cyber 2015/16") == "2015/16 as first given in Cyber 2015/16: 1,200 → 80 (-1,120)"
    assert change(5, 5) == "unchanged" and change(5, 3) == "-2"
