"""Django loads an app's models from this module. Each room of the app keeps its own models beside
its services: forces and offence codes (`forces/`), campaigns, requests and the working calendar
(`requests/`), returned files and counts (`returns/`), reminders (`reminders/`), forces' mail
(`mail/`) and the leases of queued jobs (`jobs/`). Import a model from its room."""
from .forces.models import Force, OffenceCode  # noqa: F401
from .jobs.models import JobLease  # noqa: F401
from .mail.models import (MailAttachment, MailboxPosition, MailMessage, MailSuggestion,  # noqa: F401
                          UnmatchedMail)
from .reminders.models import ReminderLog  # noqa: F401
from .requests.models import Campaign, CampaignPeriod, FoiRequest, NonWorkingDay, RequestEvent  # noqa: F401
from .returns.models import ForceColumnMapping, OffenceCount, ReturnedFile, ScanReading, UnmatchedReturn  # noqa: F401
from .challenges.models import ChallengeStep  # noqa: F401
