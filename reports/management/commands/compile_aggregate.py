import json

from collection.management.commands._base import FoiCommand

from reports.aggregate import OUTCOME_LABELS, age_breakdown, from_figures, headline_figures, sex_breakdown
from reports.models import AggregateSnapshot
from reports.services import CompileAggregate, snapshot_figures

JSON_KEYS = ("total_offences", "per_day_average", "period_days", "by_age", "under_10", "youngest_age", "modal_age",
             "by_offence_category", "by_offence_code", "by_force", "forces_asked", "forces_with_data", "outcomes",
             "suppressed_cells", "final")


class Command(FoiCommand):
    help = ("The national figures of a campaign (of its latest period; --json also gives every period under "
            "'periods' and, with an earlier period, the 'comparison'). Final (and stored as a snapshot) only when "
            "every force has an outcome; --provisional compiles them whatever is missing and says what.")

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--provisional", action="store_true",
                            help="compile even if forces are outstanding (not stored; 'final' says whether "
                                 "every force has an outcome)")
        parser.add_argument("--json", action="store_true", help="print the aggregate as one JSON object")
        parser.add_argument("--no-snapshot", action="store_true", help="do not store the final figures")
        parser.add_argument("--user", help="username recorded as compiling the snapshot")

    def handle(self, *args, **o):
        campaign = self.campaign(o["slug"])
        final = not o["provisional"]
        result = CompileAggregate(campaign, final=final, user=self.user(o["user"]),
                                  save=final and not o["no_snapshot"], trigger="command").execute()
        if isinstance(result, AggregateSnapshot):
            figures = snapshot_figures(result.pk)  # with its suppressed cells, listed from its rows
            self.stderr.write(f"Stored snapshot {result.pk}: {result}")
        else:
            figures = result.as_dict()
        if o["json"]:
            ordered = {key: figures[key] for key in JSON_KEYS}
            ordered.update({k: v for k, v in figures.items() if k not in ordered})
            self.stdout.write(json.dumps(ordered, indent=2, ensure_ascii=False))
            return
        self.stdout.write(self.summary(campaign, figures))

    @staticmethod
    def summary(campaign, f) -> str:
        lines = [f"{campaign.title} ({campaign.slug}): {'FINAL' if f['final'] else 'PROVISIONAL'} national figures, "
                 f"{f['period_start']} to {f['period_end']} ({f['period_days']} days)", ""]
        lines += [f"  {s}" for s in f["headlines"]]
        agg = from_figures(f)
        said = {x["key"]: x["text"] for x in headline_figures(agg)}
        lines += ["", f"Total offences      {said['total_offences']:>8}",
                  f"Average per day     {said['per_day_average']:>8}",
                  f"Under 10            {said['under_10']:>8}",
                  f"Youngest age        {said['youngest_age']:>8}",
                  f"Most common age     {said['modal_age']:>8}",
                  f"Forces asked        {f['forces_asked']:>8}", f"Forces with data    {f['forces_with_data']:>8}"]
        lines += [f"  {OUTCOME_LABELS.get(k, k):<18}{n:>8}" for k, n in f["outcomes"].items()]
        lines += ["", "By victim age:"]
        lines += [f"  {a['key'] if a['kind'] != 'band' else 'band ' + a['key']:>12}  {a['text']:>8}"
                  for a in age_breakdown(agg)]
        sexes = sex_breakdown(agg)
        if sexes:
            lines += ["", "By victim sex:"] + [f"  {s['label']:<20}{s['text']:>6}" for s in sexes]
        lines += ["", "By category:"] + [f"  {k:<20}{n:>6,}" for k, n in f["by_offence_category"].items()]
        lines += ["", "By offence code:"] + [f"  {k:<6}{n:>6,}  {f['offence_descriptions'].get(k, '')}"
                                              for k, n in f["by_offence_code"].items()]
        lines += ["", "By force:"] + [f"  {k:<24}{n:>6,}" for k, n in f["by_force"].items()]
        if f["suppressed_cells"]:
            lines += ["", f"Suppressed cells: {len(f['suppressed_cells'])}; total between {f['total_offences_min']:,}"
                          f" and {f['total_offences_max']:,}"]
        if f["outstanding_forces"]:
            lines += ["", "Outstanding: " + ", ".join(x["name"] for x in f["outstanding_forces"])]
        if f["caveats"]:
            lines += ["", "Caveats:"] + [f"  - {c}" for c in f["caveats"]]
        if len(f.get("periods") or {}) > 1:
            lines += ["", "Periods (each in full under --json's periods):"]
            lines += [f"  {label:<12}{p['total_offences']:>8,} offences, {p['forces_with_data']} forces with data"
                      + ("  (these figures)" if label == f.get("period") else "  (asked again: restated)")
                      for label, p in f["periods"].items()]
        if f.get("comparison"):
            c = f["comparison"]
            lines += ["", f"Compared with {c['base_period']} (like for like, base {c['base']}):"]
            lines += [f"  {s}" for s in c.get("headlines", [])]
        return "\n".join(lines)
