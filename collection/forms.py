"""Forms shared by the admin's pages and actions.

Dates: one way in and one way out everywhere. Every date is typed with the browser's date
picker (an `<input type="date">`, which posts YYYY-MM-DD whatever the browser shows), and shown
as "5 May 2016" (`deadlines.format_day`, and Django's en-gb DATE_FORMAT "j M Y" in the admin).
"""
from django import forms
from django.utils import timezone

from .requests.models import Outcome
from .sending.rules import title_problem


class DatePicker(forms.DateInput):
    """The browser's own date picker: no day/month order to guess, and no hint needed."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DayField(forms.DateField):
    widget = DatePicker

    def __init__(self, *, min_year: int = 1990, max_year: int = 2100, **kwargs):
        self.min_year, self.max_year = min_year, max_year
        super().__init__(**kwargs)

    def clean(self, value):
        day = super().clean(value)
        if day is not None and not self.min_year <= day.year <= self.max_year:
            raise forms.ValidationError(f"{day:%d/%m/%Y} is not a plausible date for this "
                                        f"(between {self.min_year} and {self.max_year})")
        return day


#: For ModelAdmin.formfield_overrides: model date fields get the same picker.
DATE_FIELD_OVERRIDES = {"widget": DatePicker}


class DateTimePicker(forms.DateTimeInput):
    """The same pattern for a moment (the scheduler's start and expiry times): the browser's picker."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


#: For ModelAdmin.formfield_overrides: a model datetime field as one picker, not the admin's split text boxes.
DATETIME_FIELD_OVERRIDES = {"form_class": forms.DateTimeField, "widget": DateTimePicker}


class SentOnForm(forms.Form):
    sent_on = DayField(initial=timezone.localdate, label="Sent on")
    via = forms.ChoiceField(choices=[("email", "Email"), ("post", "Post"), ("whatdotheyknow", "WhatDoTheyKnow"),
                                     ("recorded", "Other")])


class RecordAnswerForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    received_on = DayField(required=False, initial=timezone.localdate, label="Answer received on",
                           help_text="Not needed for “No response”: the request is closed today.")
    sections = forms.CharField(required=False, max_length=200,
                               help_text='Sections cited on refusal, e.g. "s.12, s.40(2)"')

    def clean(self):
        data = super().clean()
        if data.get("outcome") and data.get("outcome") != Outcome.NO_RESPONSE and not data.get("received_on"):
            self.add_error("received_on", "Say when the answer arrived.")
        if data.get("outcome") == Outcome.REFUSED and not (data.get("sections") or "").strip():
            self.add_error("sections", "A refusal needs the sections the force cited, e.g. s.12.")
        return data


class AcknowledgedForm(forms.Form):
    acknowledged_on = DayField(initial=timezone.localdate, label="Acknowledged on")


class CampaignForm(forms.ModelForm):
    """The campaign's change form: a title goes into every e-mail's subject, so it is one line."""

    def clean_title(self):
        title = self.cleaned_data["title"]
        if problem := title_problem(title):
            raise forms.ValidationError(problem[0].upper() + problem[1:] + ".")
        return title
