"""The forces asked and the offence codes their figures are counted under: reference data the
team keeps in the admin (loaded from collection/forces/data/ by `load_reference_data`)."""
from django.db import models


class Force(models.Model):
    force_id = models.SlugField("force id", max_length=40, unique=True,
                                help_text="The data.police.uk id, e.g. devon-and-cornwall.")
    name = models.CharField(max_length=120)
    ons_code = models.CharField("ONS code", max_length=9, blank=True)
    country = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=40, blank=True)
    territorial = models.BooleanField(default=True)
    wdtk_slug = models.CharField("WhatDoTheyKnow slug", max_length=80, blank=True)
    foi_email = models.EmailField("FOI email address", blank=True,
                                  help_text="Where requests and chasers are sent.")
    other_names = models.TextField(blank=True, help_text="Other names forces use, one per line.")
    active = models.BooleanField(default=True, help_text="Asked by default in new campaigns.")
    foi_email_failing = models.BooleanField("FOI address failing", default=False,
                                            help_text="Mail to this address bounced; correct it before sending again.")
    foi_email_problem = models.CharField(max_length=300, blank=True,
                                         help_text="What the last delivery failure said.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def wdtk_url(self):
        return f"https://www.whatdotheyknow.com/body/{self.wdtk_slug}" if self.wdtk_slug else ""


class OffenceCategory(models.TextChoices):
    RAPE = "rape", "Rape"
    SEXUAL_ASSAULT = "sexual_assault", "Sexual assault"
    SEXUAL_ACTIVITY = "sexual_activity", "Sexual activity"
    GROOMING = "grooming", "Grooming"
    EXPLOITATION = "exploitation", "Exploitation"
    INDECENT_IMAGES = "indecent_images", "Indecent images"
    EXPOSURE_VOYEURISM = "exposure_voyeurism", "Exposure and voyeurism"
    OTHER = "other", "Other"


class OffenceCode(models.Model):
    code = models.CharField(max_length=10, unique=True, help_text="Home Office Counting Rules code, e.g. 19E.")
    description = models.CharField(max_length=200)
    category = models.CharField(max_length=30, choices=OffenceCategory.choices)
    victim_min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    victim_max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.description}"

    def consistent_with_age(self, age: int | None) -> bool:
        if age is None:
            return True
        if self.victim_min_age is not None and age < self.victim_min_age:
            return False
        return self.victim_max_age is None or age <= self.victim_max_age
