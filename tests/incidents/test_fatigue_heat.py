"""The heatmap's levels: every score has one, and the legend names each range in words."""

from incidents.fatigue.heat import legend, level_of


def test_each_score_has_its_level():
    assert [level_of(s).name for s in (0, 0.1, 9.9, 10, 19.9, 20, 34.9, 35, 500)] == [
        "none",
        "low",
        "low",
        "moderate",
        "moderate",
        "high",
        "high",
        "very high",
        "very high",
    ]


def test_the_legend_says_each_range():
    assert [words for _, words in legend()] == [
        "0",
        "over 0, under 10",
        "10 to under 20",
        "20 to under 35",
        "35 or more",
    ]
