"""The methodology is written from the campaign's facts: every number in it is one the report page
shows (the test reads both, as a reader would), the question is there word for word, and each chart
has its alt text."""
import re

import pytest
from django.urls import reverse

from reports.aggregate import figure_text
from reports.releases.models import Release
from reports.releases.services import PublishRelease, unzipped

pytestmark = pytest.mark.django_db

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# What is not a figure: dates, the Act and its section, the statutory 20 working days, the age range
# of the tables, the release's own number.
NOT_FIGURES = [rf"\d{{1,2}} (?:{MONTHS}) \d{{4}}", r"Act 2000", r"section 10", r"20 working days", r"0 to 17",
               r"0 to 9", r"Release \d+", r"snapshot \d+", r"charts/\w+\.\w+", r"s\.\d+"]
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def numbers(text):
    return {n.replace(",", "").rstrip(".") for n in NUMBER.findall(text)}


def page_text(html):
    """The report page's text, without its list of releases (their sizes and checksums are no figures)."""
    html = re.sub(r'<section class="releases".*?</section>', " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def rendered_text(markdown):
    """What a reader of the Markdown sees: rendered by markdown-it-py, the tags taken away."""
    from html import unescape

    from markdown_it import MarkdownIt

    return unescape(re.sub(r"<[^>]+>", "", MarkdownIt("commonmark").enable("table").render(markdown)))


def methodology_figures(markdown, question):
    text = "\n".join(line for line in markdown.splitlines() if not line.startswith(">"))
    for pattern in NOT_FIGURES:
        text = re.sub(pattern, " ", text)
    return text


@pytest.fixture
def both(complete, researcher_client):
    release = PublishRelease(complete).execute()
    files = unzipped(release.archive.read())
    page = researcher_client.get(reverse("admin:reports_campaign_report", args=[complete.pk]))
    assert page.status_code == 200
    return complete, files, page_text(page.content.decode()), page.context


def test_every_number_in_the_methodology_is_the_reports(both):
    campaign, files, page, context = both
    markdown = files["methodology.md"].decode()
    found = numbers(methodology_figures(markdown, campaign.question))
    assert len(found) > 20  # the methodology does state figures
    missing = found - numbers(page) - numbers(campaign.title)
    assert not missing, f"numbers in the methodology the report does not show: {sorted(missing)}"
    agg = context["agg"]
    # The main figures, read where each is stated.
    assert f"The total, {agg.total_offences:,} offences" in markdown
    assert f"over the {agg.period_days:,} days of the period ({figure_text(agg.per_day_average, 2)} a day" in markdown
    assert f"Under 10 ({figure_text(agg.under_10)} offences)" in markdown
    answers = context["answers"]
    assert f"{answers['on_time']:,} of the {answers['answered']:,} answers came by the statutory deadline" in markdown
    assert f"{answers['on_time']} of {answers['answered']} answers came within the statutory" in page
    assert f"sent to {agg.forces_asked} police forces" in markdown
    for label, n in context["outcomes"]:
        assert f"| {label} | {n:,} |" in markdown
    assert f"not known for {agg.by_age['unknown']:,} offences" in markdown


def test_the_question_is_there_word_for_word_and_every_chart_has_alt_text(both):
    campaign, files, _, _ = both
    markdown, html = files["methodology.md"].decode(), files["methodology.html"].decode()
    assert f"> {campaign.question}" in markdown
    assert f"<blockquote>{campaign.question}</blockquote>" in html
    for kind in ("age", "category", "force"):
        alt = re.search(rf"!\[([^\]]+)\]\(charts/{kind}\.png\)", markdown).group(1)
        assert len(alt) > 40 and f'src="charts/{kind}.png" alt="' in html
    assert "Counts are published as the forces gave them" in markdown


def test_the_methodology_of_a_release_with_suppression_says_which_rule(complete):
    release = PublishRelease(complete, suppress_below=5).execute()
    files = unzipped(release.archive.read())
    markdown = files["methodology.md"].decode()
    assert "Force-level counts from 1 to 4 are shown as <5" in rendered_text(markdown)
    assert "data/national-dataset.csv" not in files
    forces = files["data/forces.csv"].decode()
    assert "<5" in forces and "[c]" in forces
    assert release.suppress_below == 5 and Release.objects.filter(campaign=complete).count() == 1


def test_a_repeat_campaigns_release_compares_like_for_like_and_its_numbers_are_the_reports(researcher,
                                                                                           researcher_client, tmp_path):
    import frictionless

    from tests.reports.practice_chain import chain

    _, second = chain(researcher)
    release = PublishRelease(second, output=tmp_path).execute()
    folder = tmp_path / release.name
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, [e.message for task in report.tasks for e in task.errors][:10]
    markdown = (folder / "methodology.md").read_text()
    assert "only the 37 forces with figures for both periods are compared" in markdown
    assert "They recorded 3,134 offences in 2016-17 and 2,675 in 2015-16 (+17.2%)" in markdown
    assert "as the forces restated them in answer to this request; as first published they were 2,278" in markdown
    comparison = (folder / "data/comparison.csv").read_text().splitlines()
    assert comparison[0].startswith("force_id,force_name,like_for_like,base_period,period,base,current")
    assert "avon-and-somerset,Avon and Somerset Constabulary,true,2015-16,2016-17,80,54,-26," in comparison[1]
    page = page_text(researcher_client.get(reverse("admin:reports_campaign_report", args=[second.pk])).content.decode())
    missing = numbers(methodology_figures(markdown, second.question)) - numbers(page) - numbers(second.title)
    assert not missing, sorted(missing)


def test_with_bands_suppressed_cells_and_unknown_ages_every_number_is_still_the_reports(complete,
                                                                                        researcher_client):
    from collection.forces.models import OffenceCode
    from collection.returns.models import OffenceCount

    request = complete.requests.get(force__force_id="kent")
    code = OffenceCode.objects.get(code="88A")
    OffenceCount.objects.bulk_create([
        OffenceCount(campaign=complete, force=request.force, request=request, offence=code, age_band="0-5",
                     age_band_min=0, age_band_max=5, count=6),
        OffenceCount(campaign=complete, force=request.force, request=request, offence=code, age_band="11-15",
                     age_band_min=11, age_band_max=15, count=9),
        OffenceCount(campaign=complete, force=request.force, request=request, offence=code, victim_age=3,
                     count=None, suppressed=True, suppressed_label="<5"),
        OffenceCount(campaign=complete, force=request.force, request=request, offence=code, victim_age=4,
                     count=None, suppressed=True, suppressed_label="*"),
    ])
    release = PublishRelease(complete).execute()
    markdown = unzipped(release.archive.read())["methodology.md"].decode()
    context = researcher_client.get(reverse("admin:reports_campaign_report", args=[complete.pk])).context
    agg = context["agg"]
    assert agg.suppressed_count == 2 and agg.by_age_band == {"0-5": 6, "11-15": 9}
    assert "15 offences came in age bands (0-5: 6, 11-15: 9)" in markdown
    assert f"Forces suppressed 2 cells" in markdown
    assert f"between {agg.total_offences_min:,} and {agg.total_offences_max:,}" in markdown
    page = page_text(researcher_client.get(reverse("admin:reports_campaign_report", args=[complete.pk])).content.decode())
    missing = numbers(methodology_figures(markdown, complete.question)) - numbers(page) - numbers(complete.title)
    assert not missing, sorted(missing)


HOSTILE = ("How many <script>alert('q')</script> offences *were* _flagged_ [here](https://evil.example) & why | not?\n"
           "# Not a heading\n- not a list\n12. not a numbered list\n> not a quote\n`not code` ~~not struck~~ \\ &amp;")


def test_typed_text_reads_word_for_word_in_the_markdown_and_never_becomes_markup(complete):
    """The question and the title as typed, rendered by a CommonMark renderer nobody here wrote
    (markdown-it-py, as a reader's tool would): the same text, no tag, no link, no list."""
    from html import unescape

    from markdown_it import MarkdownIt

    complete.question, complete.title = HOSTILE, "Offences <b>2015/16</b> | *final*"
    complete.save(update_fields=["question", "title"])
    markdown = unzipped(PublishRelease(complete).execute().archive.read())["methodology.md"].decode()
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    quote = re.search(r"<blockquote>(.*?)</blockquote>", rendered, re.S).group(1)
    assert unescape(re.sub(r"</?p>", "", quote)).strip() == HOSTILE
    title = re.search(r"<h1>(.*?)</h1>", rendered, re.S).group(1)
    assert unescape(title) == "Methodology: Offences <b>2015/16</b> | *final*"
    for markup in ("<script", "<a ", "<b>", "<em>", "<strong>", "<code>", "<ol", "<del", "<h1>Not"):
        assert markup not in rendered
