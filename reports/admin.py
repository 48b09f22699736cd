"""The national figures in the admin: snapshots, and a report page per campaign with charts,
exports and the per-force timeliness table.

URLs (all behind admin_site.admin_view):
  admin/reports/aggregatesnapshot/campaign/<id>/report/               the report page
  admin/reports/aggregatesnapshot/campaign/<id>/chart/<kind>.<png|svg> a chart (?download=1 to save);
                                                                       kind "trend": across the campaign's chain
  admin/reports/aggregatesnapshot/campaign/<id>/export/<csv|xlsx|json>/ the national dataset (streamed)
  admin/reports/aggregatesnapshot/campaign/<id>/export-metadata/      where an export's rows come from (JSON)
  admin/reports/aggregatesnapshot/campaign/<id>/suppressed/           every suppressed cell (?page=N)
  admin/reports/aggregatesnapshot/campaign/<id>/compile/               POST: store a snapshot

The page, its charts and the provisional xlsx share one computation of the figures per version
of the campaign's data (`reports/cache.py`): a page view with its three charts computes nothing
twice, and a second view of unchanged figures computes nothing.

Who: anyone who may view campaigns sees the report, the charts and the exports (the dataset is
counts only, no personal data); storing a snapshot needs reports.add_aggregatesnapshot.
"""
import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models.fields.json import KT
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from collection.admin_common import RelatedListFilter
from collection.requests.models import Campaign
from collection.validation import ServiceError

from collection.returns.models import OffenceCount


from . import cache, charts, comparison, trace
from .aggregate import (CATEGORY_LABELS, OUTCOME_LABELS, age_breakdown, answer_counts, figures_digest, headline_figures,
                        period_display, sex_breakdown, suppressed_bounds)
from .models import AggregateSnapshot
from .releases.admin import report_context as release_context
from reports.figures import suppression_threshold
from reports.services import CompileAggregate, ExportDataset, snapshot_figures

SUPPRESSED_PER_PAGE = 100


def can_view_report(user) -> bool:
    return user.is_active and user.is_staff and (user.has_perm("collection.view_campaign")
                                                  or user.has_perm("collection.change_campaign"))


def can_compile(user) -> bool:
    return user.has_perm("reports.add_aggregatesnapshot")


@admin.register(AggregateSnapshot)
class AggregateSnapshotAdmin(admin.ModelAdmin):
    list_display = ("campaign", "compiled_at", "kind", "total", "trigger", "compiled_by", "report_link")
    list_filter = ("final", ("campaign", RelatedListFilter))
    list_select_related = ("campaign", "compiled_by")
    date_hierarchy = "compiled_at"
    fields = ("campaign", "compiled_at", "final", "trigger", "compiled_by", "report_link", "dataset_sha256",
              "dataset_rows", "headlines", "sources_table", "figures_json")
    readonly_fields = fields

    def get_queryset(self, request):
        # The list shows one number of the figures, which hold every suppressed cell: not loaded.
        qs = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("_changelist"):
            qs = qs.defer("figures", "sources").annotate(total_offences_value=KT("figures__total_offences"))
        return qs

    def has_add_permission(self, request):
        return False  # snapshots are made by compiling, never typed in

    def has_change_permission(self, request, obj=None):
        return False  # a snapshot is a record of what was compiled: never rewritten

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="Final", boolean=True, ordering="final")
    def kind(self, s):
        return s.final

    @admin.display(description="Total offences")
    def total(self, s):
        n = getattr(s, "total_offences_value", None)
        n = s.figures.get("total_offences") if n is None and "figures" not in s.get_deferred_fields() else n
        return f"{int(n):,}" if str(n or "").isdigit() or isinstance(n, int) else "-"

    @admin.display(description="Report")
    def report_link(self, s):
        return format_html('<a href="{}">National figures report</a>',
                           reverse("admin:reports_campaign_report", args=[s.campaign_id]))

    @admin.display(description="Findings")
    def headlines(self, s):
        sentences = [*s.figures.get("headlines", []), *(s.figures.get("comparison") or {}).get("headlines", [])]
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((h,) for h in sentences)))

    @admin.display(description="Sources (files by SHA-256)")
    def sources_table(self, s):
        if not s.sources:
            return "-"
        rows = ((x.get("force_id"), x.get("file_name") or x.get("note", ""), x.get("sha256") or "")
                for x in s.sources)
        return format_html('<table><thead><tr><th>Force</th><th>File</th><th>SHA-256</th></tr></thead>'
                           "<tbody>{}</tbody></table>",
                           format_html_join("", "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>", rows))

    @admin.display(description="Figures (JSON)")
    def figures_json(self, s):
        return format_html('<pre style="max-height:30em;overflow:auto">{}</pre>',
                           json.dumps(snapshot_figures(s.pk) if s.pk else s.figures, indent=2, ensure_ascii=False))

    # --- The report page and its views -----------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("campaign/<int:campaign_id>/report/", view(self.report_view), name="reports_campaign_report"),
            path("campaign/<int:campaign_id>/chart/<str:kind>.<str:fmt>", view(self.chart_view),
                 name="reports_campaign_chart"),
            path("campaign/<int:campaign_id>/export/<str:fmt>/", view(self.export_view),
                 name="reports_campaign_export"),
            path("campaign/<int:campaign_id>/export-metadata/", view(self.export_metadata_view),
                 name="reports_campaign_export_metadata"),
            path("campaign/<int:campaign_id>/suppressed/", view(self.suppressed_view),
                 name="reports_campaign_suppressed"),
            path("campaign/<int:campaign_id>/compile/", view(self.compile_view), name="reports_campaign_compile"),
            path("campaign/<int:campaign_id>/trace/", view(self.trace_view), name="reports_campaign_trace"),
            path("campaign/<int:campaign_id>/trace/<str:force_id>/", view(self.trace_force_view),
                 name="reports_campaign_trace_force"),
            path("campaign/<int:campaign_id>/source/<int:count_id>/", view(self.trace_cell_view),
                 name="reports_campaign_trace_cell"),
        ] + super().get_urls()

    def _campaign(self, request, campaign_id) -> Campaign:
        if not can_view_report(request.user):
            raise PermissionDenied
        return get_object_or_404(Campaign, pk=campaign_id)

    def report_view(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id)
        figures = cache.report_figures(campaign)
        agg = figures.aggregate
        snapshots = list(campaign.aggregate_snapshots.select_related("compiled_by").defer("figures")
                         .annotate(total_offences_value=KT("figures__total_offences"))[:10])
        latest = snapshots[0] if snapshots else None
        changed = False
        if latest is not None and latest.data_version != figures.version:
            # Compared only when there is a snapshot and the data moved since: by digest.
            changed = (latest.figures_digest or figures_digest(latest.figures)) != figures.digest
        names = {t["force_id"]: t["force_name"] for t in agg.timeliness}
        forces = []
        for t in sorted(agg.timeliness, key=lambda t: t["force_name"]):
            forces.append({**t, "offences": agg.by_force.get(t["force_id"]),
                           "outcome_label": OUTCOME_LABELS.get(t["outcome"] or "outstanding")})
        max_age = max([agg.by_age[str(a)] for a in range(18)] + [agg.by_age["unknown"], 1])
        suppressed = sorted(({"force_id": f, "name": names.get(f, f), **v} for f, v in agg.suppressed_by_force.items()),
                            key=lambda x: (-x["cells"], x["name"]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"National figures: {campaign.title}",
            "opts": Campaign._meta, "campaign": campaign, "agg": agg, "headline_figures": headline_figures(agg),
            "ages": [{**a, "pct": round(100 * a["known"] / max_age)} for a in age_breakdown(agg)],
            "categories": [(CATEGORY_LABELS.get(k, k), n) for k, n in
                           sorted(agg.by_offence_category.items(), key=lambda kv: -kv[1])],
            "codes": [(code, agg.offence_descriptions.get(code, ""), n) for code, n in agg.by_offence_code.items()],
            "sexes": sex_breakdown(agg),
            "outcomes": [(OUTCOME_LABELS.get(k, k), n) for k, n in agg.outcomes.items()],
            "forces": forces, "suppressed_by_force": suppressed,
            "answers": agg.answers or answer_counts(agg.timeliness),
            "charts": [(kind, label) for kind, label in charts.CHARTS.items()],
            "snapshots": snapshots, "latest": latest,
            "changed_since_snapshot": changed,
            "can_compile": can_compile(request.user),
            "export_formats": ("csv", "xlsx", "json"),
            "periods": self._periods(agg),
        }
        context.update(release_context(request.user, campaign))
        from collection.challenges.services import challenge_outcomes

        context["challenges"] = challenge_outcomes(campaign)
        if agg.comparison:
            context["compared"] = self._compared(agg, names)
        if agg.comparison or len(agg.periods) > 1:
            points = cache.trend(campaign)
            context["trend"] = [{**p, "display": period_display(p["period"])} for p in points]
        return TemplateResponse(request, "reports/report.html", context)

    @staticmethod
    def _periods(agg) -> list[dict]:
        """Each period the campaign asks about, earliest first, with its headline figures."""
        out = []
        for label, f in agg.periods.items():
            out.append({"label": label, "display": period_display(label), "main": label == agg.period,
                        "total": f["total_offences"], "forces_with_data": f["forces_with_data"],
                        "per_day_average": f["per_day_average"], "days": f["period_days"],
                        "start": f["period_start"], "end": f["period_end"]})
        return sorted(out, key=lambda p: p["start"])

    @staticmethod
    def _compared(agg, names) -> dict:
        c = agg.comparison
        rows = sorted(({"force_id": f, "name": names.get(f, f), **e} for f, e in c["per_force"].items()),
                      key=lambda r: r["name"])
        single = sorted(({"force_id": f, "name": names.get(f, f), **e}
                         for f, e in c.get("single_period_forces", {}).items()), key=lambda r: r["name"])
        return {**c, "rows": rows, "single": single, "base_display": period_display(c["base_period"]),
                "display": period_display(c["period"]), "forces": len(c["like_for_like_forces"]),
                "direction": comparison.direction(c["change"]), "abs_change": abs(c["change"]),
                "original_differs": c.get("original_base_total") not in (None, c["base_total"])}

    def chart_view(self, request, campaign_id, kind, fmt):
        campaign = self._campaign(request, campaign_id)
        if kind == charts.TREND and fmt in charts.FORMATS:
            return self._trend_chart(request, campaign, fmt)
        if kind not in charts.CHARTS or fmt not in charts.FORMATS:
            raise Http404("no such chart")
        figures = cache.report_figures(campaign)
        agg = figures.aggregate

        def render():
            names = {t["force_id"]: t["force_name"] for t in agg.timeliness}
            return charts.render(kind, agg, fmt, names)

        response = HttpResponse(cache.chart(campaign, figures, kind, fmt, render), content_type=charts.FORMATS[fmt])
        if fmt == "svg":
            response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        if request.GET.get("download"):
            status = "final" if agg.final else "provisional"
            response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-{kind}-{status}.{fmt}"'
        response["Cache-Control"] = "private, no-cache"
        return response

    @staticmethod
    def _chart_response(request, content, fmt, filename):
        response = HttpResponse(content, content_type=charts.FORMATS[fmt])
        if fmt == "svg":
            response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        if request.GET.get("download"):
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-cache"
        return response

    def _trend_chart(self, request, campaign, fmt):
        points = cache.trend(campaign)
        if len(points) < 2:
            raise Http404("no trend: the campaign has one period and repeats none")
        content = cache.trend_chart(campaign, points, fmt,
                                    lambda: charts.render_trend(points, campaign.title, fmt))
        return self._chart_response(request, content, fmt, f"{campaign.slug}-trend.{fmt}")

    def export_view(self, request, campaign_id, fmt):
        """csv and json streamed from the database cursor; xlsx written to a temporary file in
        constant memory and served from it. Final figures come from the stored final snapshot."""
        campaign = self._campaign(request, campaign_id)
        try:
            export = ExportDataset(campaign, fmt).execute()
        except ServiceError:
            raise Http404("no such format")
        if export.fmt == "xlsx":
            response = FileResponse(export.xlsx_file(), as_attachment=True, filename=export.filename,
                                    content_type=export.content_type)
        else:
            response = StreamingHttpResponse(export.chunks(), content_type=export.content_type)
            response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        if export.snapshot is not None:
            response["X-Snapshot-Id"] = str(export.snapshot.pk)
            response["X-Dataset-SHA256"] = export.snapshot.dataset_sha256
        return response

    def export_metadata_view(self, request, campaign_id):
        """Where the exports' rows come from: the snapshot, its dataset's SHA-256, the source files."""
        campaign = self._campaign(request, campaign_id)
        export = ExportDataset(campaign, "csv").execute()
        response = HttpResponse(json.dumps(export.metadata(), indent=2, ensure_ascii=False) + "\n",
                                content_type="application/json")
        name = export.filename.removesuffix(".csv")
        response["Content-Disposition"] = f'attachment; filename="{name}.metadata.json"'
        return response

    def suppressed_view(self, request, campaign_id):
        """Every suppressed cell of the campaign, a page at a time."""
        campaign = self._campaign(request, campaign_id)
        figures = cache.report_figures(campaign)
        cells = (OffenceCount.objects.filter(campaign=campaign, suppressed=True)
                 .select_related("force", "offence").only("force__name", "offence__code", "victim_age", "age_band",
                                                          "victim_sex", "suppressed_label")
                 .order_by("force__name", "offence__code", "victim_age", "age_band", "pk"))
        paginator = Paginator(cells, SUPPRESSED_PER_PAGE)
        paginator.count = figures.aggregate.suppressed_count  # known: no COUNT over the campaign's counts
        page = paginator.get_page(request.GET.get("page"))
        threshold = suppression_threshold()
        rows = []
        for c in page.object_list:
            low, high, _ = suppressed_bounds(c.suppressed_label, threshold)
            rows.append({"force": c.force.name, "offence": c.offence.code, "victim_age": c.victim_age,
                         "age_band": c.age_band, "victim_sex": c.victim_sex, "label": c.suppressed_label,
                         "min": low, "max": high})
        context = {**self.admin_site.each_context(request), "title": f"Suppressed cells: {campaign.title}",
                   "opts": Campaign._meta, "campaign": campaign, "agg": figures.aggregate, "page": page,
                   "rows": rows, "paginator": paginator}
        return TemplateResponse(request, "reports/suppressed.html", context)

    def _trace_page(self, request, campaign, title, template, context):
        return TemplateResponse(request, template, {
            **self.admin_site.each_context(request), "title": title, "opts": Campaign._meta, "campaign": campaign,
            **context})

    def trace_view(self, request, campaign_id):
        """The national total, force by force (the first step from a figure to its cells)."""
        campaign = self._campaign(request, campaign_id)
        # ?period=2014-15: another period the report shows (an earlier year asked again).
        agg, period = trace.period_figures(cache.report_figures(campaign).aggregate, request.GET.get("period"))
        return self._trace_page(request, campaign, f"Where the total comes from: {campaign.title}",
                                "reports/trace_forces.html", {"agg": agg, **trace.forces_context(campaign, agg, period)})

    def trace_force_view(self, request, campaign_id, force_id):
        """One force's counts, each with its file's checksum and its place in the file."""
        campaign = self._campaign(request, campaign_id)
        context = trace.force_context(campaign, force_id, request.GET.get("page"), request.GET.get("period") or None)
        return self._trace_page(request, campaign, f"{context['force_name']}: its figures and where each was read",
                                "reports/trace_force.html", context)

    def trace_cell_view(self, request, campaign_id, count_id):
        """A count's cell in a rendering of the file it was read from."""
        campaign = self._campaign(request, campaign_id)
        context = trace.cell_context(campaign, count_id)
        return self._trace_page(request, campaign, f"The source of one figure: {context['count'].force.name}",
                                "reports/trace_cell.html", context)

    def compile_view(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_compile(request.user):
            raise PermissionDenied
        final = request.POST.get("kind", "final") != "provisional"
        try:
            snapshot = CompileAggregate(campaign, final=final, user=request.user, save=True, trigger="admin").execute()
        except ServiceError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, f"Stored snapshot {snapshot}.", messages.SUCCESS)
        return redirect("admin:reports_campaign_report", campaign_id=campaign.pk)
