"""The training package (issue 10): the topic catalogue, agendas, enquiries, deliveries,
attendance and feedback.

Training data only. No table here points at case data, and no case-data table points here: the
only relations out of this app are to the unit that offers the training and to the staff who
deliver it (accounts). A test holds this line (tests/training/test_separation.py).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from masip.core.models import TimeStampedModel


class AudienceType(models.TextChoices):
    """Who a package is for; topics carry a relevance and a priority for each."""

    MANAGERS = "managers", "Managers"
    SPOCS = "spocs", "Stalking single points of contact (SPOCs)"
    FRONT_LINE = "front_line", "Front-line staff"


class AttendeeRole(models.TextChoices):
    """The role an attendee comes in: the audience types, and anyone else."""

    MANAGERS = "managers", "Manager"
    SPOCS = "spocs", "Stalking single point of contact (SPOC)"
    FRONT_LINE = "front_line", "Front-line staff"
    OTHER = "other", "Other"


class TopicKind(models.TextChoices):
    OPENING = "opening", "Opening item (always on the agenda)"
    SELECTABLE = "selectable", "Selectable topic"


class TopicFormat(models.TextChoices):
    PRESENTATION = "presentation", "Presentation"
    WORKSHOP = "workshop", "Workshop"


class Relevance(models.TextChoices):
    """How relevant a topic is to an audience type. A topic not relevant to anyone in the
    audience is never proposed for it."""

    CORE = "core", "Core"
    RELEVANT = "relevant", "Relevant"
    BACKGROUND = "background", "Background"
    NOT_RELEVANT = "not_relevant", "Not relevant"


class SessionFormat(models.TextChoices):
    HALF_DAY = "half_day", "Half day"
    FULL_DAY = "full_day", "Full day"


class OrganisationKind(models.TextChoices):
    POLICE = "police", "Police force"
    HEALTH = "health", "Health (NHS, mental health)"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    PROBATION = "probation", "Probation"
    HOUSING = "housing", "Housing"
    EDUCATION = "education", "Education"
    VOLUNTARY = "voluntary", "Charity or voluntary sector"
    CPS_COURTS = "cps_courts", "Crown Prosecution Service or courts"
    OTHER = "other", "Other"


class UkRegion(models.TextChoices):
    """Where an enquiring organisation is: England's regions and the three other nations."""

    NORTH_EAST = "north_east", "North East England"
    NORTH_WEST = "north_west", "North West England"
    YORKSHIRE = "yorkshire", "Yorkshire and the Humber"
    EAST_MIDLANDS = "east_midlands", "East Midlands"
    WEST_MIDLANDS = "west_midlands", "West Midlands"
    EAST = "east", "East of England"
    LONDON = "london", "London"
    SOUTH_EAST = "south_east", "South East England"
    SOUTH_WEST = "south_west", "South West England"
    WALES = "wales", "Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"
    UK_WIDE = "uk_wide", "Across the UK"


class TrainingSettings(models.Model):
    """A unit's own settings for its training offer: slot lengths, breaks, feedback window,
    how its public page reads, and how many enquiries one address may send."""

    unit = models.OneToOneField("accounts.Unit", on_delete=models.CASCADE, related_name="training_settings")
    half_day_minutes = models.PositiveSmallIntegerField(
        default=210, validators=[MinValueValidator(60), MaxValueValidator(360)]
    )
    full_day_minutes = models.PositiveSmallIntegerField(
        default=390, validators=[MinValueValidator(180), MaxValueValidator(600)]
    )
    break_minutes = models.PositiveSmallIntegerField(default=15, validators=[MaxValueValidator(60)])
    lunch_minutes = models.PositiveSmallIntegerField(default=45, validators=[MaxValueValidator(90)])
    feedback_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="How many days after a delivery its feedback link stays open.",
    )
    enquiries_per_hour = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Enquiries one address may send in an hour before it is asked to wait.",
    )
    offer_published = models.BooleanField(default=False, help_text="Show this unit's offer on the public page.")
    offer_introduction = models.TextField(blank=True)
    contact_email = models.EmailField(blank=True)

    def __str__(self) -> str:
        return f"Training settings of {self.unit}"


class Topic(TimeStampedModel):
    """One item of a unit's catalogue. Opening items open every agenda in `sequence` order;
    selectable topics are chosen by priority for the audience and shown in `sequence` order."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="training_topics")
    key = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=TopicKind.choices, default=TopicKind.SELECTABLE)
    format = models.CharField(max_length=16, choices=TopicFormat.choices, default=TopicFormat.PRESENTATION)
    min_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(5), MaxValueValidator(360)])
    max_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(5), MaxValueValidator(360)])
    sequence = models.PositiveSmallIntegerField(default=100, help_text="Where it sits on an agenda: lower first.")
    trainers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="training_topics")
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["unit", "sequence", "title"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "key"], name="training_topic_key_unique_in_unit"),
            models.CheckConstraint(
                condition=models.Q(min_minutes__lte=models.F("max_minutes")), name="training_topic_minutes_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LearningOutcome(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="outcomes")
    text = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=1)
    # An outcome that feedback was given on is retired, never deleted, so the reports keep it.
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["topic", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class TopicAudience(models.Model):
    """A topic's relevance and priority for one audience type (priority 1 is the highest)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="audiences")
    audience = models.CharField(max_length=16, choices=AudienceType.choices)
    relevance = models.CharField(max_length=16, choices=Relevance.choices, default=Relevance.RELEVANT)
    priority = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        ordering = ["topic", "audience"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "audience"], name="training_topic_audience_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} for {self.get_audience_display()}"


class Organisation(TimeStampedModel):
    """An organisation the unit trains (a police force, a health trust, a council)."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="training_organisations")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=24, choices=OrganisationKind.choices, default=OrganisationKind.OTHER)
    region = models.CharField(max_length=24, choices=UkRegion.choices, blank=True)

    class Meta:
        ordering = ["unit", "name"]
        constraints = [
            models.UniqueConstraint("unit", Lower("name"), name="training_organisation_name_unique_in_unit"),
        ]

    def __str__(self) -> str:
        return self.name


class Agenda(TimeStampedModel):
    """A proposed or edited agenda for one audience mix and slot. `audience` holds the number of
    people of each audience type ({"managers": 4, "front_line": 20}); `explanation` what the
    builder left out and why, as it said when it proposed the agenda."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="training_agendas")
    title = models.CharField(max_length=200)
    format = models.CharField(max_length=16, choices=SessionFormat.choices, default=SessionFormat.HALF_DAY)
    slot_minutes = models.PositiveSmallIntegerField()
    audience = models.JSONField(default=dict)
    explanation = models.JSONField(default=list, blank=True)
    enquiry = models.ForeignKey(
        "training.Enquiry", null=True, blank=True, on_delete=models.SET_NULL, related_name="agendas"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # Who is to deliver it, when the trainer said: the topics proposed and added are theirs.
    trainers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="training_agendas")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class AgendaItemKind(models.TextChoices):
    OPENING = "opening", "Opening item"
    TOPIC = "topic", "Topic"
    BREAK = "break", "Break"
    LUNCH = "lunch", "Lunch"


class AgendaItem(models.Model):
    agenda = models.ForeignKey(Agenda, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=AgendaItemKind.choices)
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.PROTECT, related_name="agenda_items")
    title = models.CharField(max_length=200)
    minutes = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["agenda", "position"]
        constraints = [
            models.UniqueConstraint(fields=["agenda", "position"], name="training_agenda_item_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title} ({self.minutes} min)"


class EnquiryStatus(models.TextChoices):
    NEW = "new", "New"
    IN_DISCUSSION = "in_discussion", "In discussion"
    BOOKED = "booked", "Booked"
    DECLINED = "declined", "Declined"
    CLOSED = "closed", "Closed without a booking"


class Enquiry(TimeStampedModel):
    """An organisation's request for training, sent from the public page (no login).

    `source_digest` is a keyed hash of the sender's address, kept only to limit how many
    enquiries one address may send; the address itself is not kept.
    """

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="training_enquiries")
    reference = models.CharField(max_length=40, unique=True)
    organisation_name = models.CharField(max_length=200)
    organisation_kind = models.CharField(max_length=24, choices=OrganisationKind.choices)
    region = models.CharField(max_length=24, choices=UkRegion.choices)
    contact_name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    audience = models.JSONField(default=dict, help_text="Expected numbers per audience type.")
    preferred_format = models.CharField(max_length=16, choices=SessionFormat.choices, blank=True)
    preferred_dates = models.CharField(max_length=300, blank=True)
    message = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=EnquiryStatus.choices, default=EnquiryStatus.NEW)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    trainer_notes = models.TextField(blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="enquiries"
    )
    source_digest = models.CharField(max_length=64, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "enquiries"
        indexes = [models.Index(fields=["unit", "status", "created_at"], name="training_enquiry_queue")]

    def __str__(self) -> str:
        return f"{self.reference} {self.organisation_name}"


class DeliveryMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online"


class DeliveryStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


def new_feedback_token() -> str:
    return secrets.token_urlsafe(24)


class Delivery(TimeStampedModel):
    """One time the package is given: to whom, when, where, by whom, with which agenda.

    Its feedback link is `/training/feedback/<feedback_token>/`, open from the delivery's day
    until `feedback_closes_on` (inclusive).
    """

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="training_deliveries")
    reference = models.CharField(max_length=40, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="deliveries")
    enquiry = models.ForeignKey(Enquiry, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    title = models.CharField(max_length=200)
    date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    mode = models.CharField(max_length=16, choices=DeliveryMode.choices, default=DeliveryMode.IN_PERSON)
    venue = models.CharField(max_length=300, blank=True, help_text="The address, or the online platform.")
    audience = models.JSONField(default=dict, help_text="Expected numbers per audience type.")
    trainers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="training_deliveries")
    agenda = models.ForeignKey(Agenda, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PLANNED)
    feedback_token = models.CharField(max_length=64, unique=True, default=new_feedback_token)
    feedback_closes_on = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-date", "reference"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["unit", "date"], name="training_delivery_unit_date")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class AttendanceCount(models.Model):
    """How many came to a delivery from one organisation in one role: the record every report
    counts from, required whether or not names were taken."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attendance")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="attendance")
    role = models.CharField(max_length=16, choices=AttendeeRole.choices)
    count = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(1000)])

    class Meta:
        ordering = ["delivery", "organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "organisation", "role"], name="training_attendance_unique_row"),
        ]

    def __str__(self) -> str:
        return f"{self.count} {self.get_role_display()} from {self.organisation}"


class Attendee(models.Model):
    """A named attendee (names are optional): who gets a certificate of attendance."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attendees")
    name = models.CharField(max_length=200)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="attendees")
    role = models.CharField(max_length=16, choices=AttendeeRole.choices)

    class Meta:
        ordering = ["delivery", "name"]

    def __str__(self) -> str:
        return self.name


class FeedbackResponse(models.Model):
    """One person's feedback on a delivery, sent through its link without signing in.

    `form_nonce` is the one-time key of the form they were given: the same form sent twice is
    one response, never two.
    """

    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="feedback")
    submitted_at = models.DateTimeField(auto_now_add=True)
    role = models.CharField(max_length=16, choices=AttendeeRole.choices, blank=True)
    comments = models.TextField(blank=True)
    form_nonce = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["delivery", "submitted_at"]

    def __str__(self) -> str:
        return f"Feedback on {self.delivery.reference} at {self.submitted_at:%Y-%m-%d %H:%M}"


class OutcomeRating(models.Model):
    """Confidence before and after the delivery in one learning outcome, 1 (not at all
    confident) to 5 (very confident). The topic is kept beside the outcome so that reports per
    topic stand even if the catalogue is later reorganised."""

    response = models.ForeignKey(FeedbackResponse, on_delete=models.CASCADE, related_name="ratings")
    outcome = models.ForeignKey(LearningOutcome, on_delete=models.PROTECT, related_name="ratings")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="ratings")
    before = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    after = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        ordering = ["response", "topic", "outcome"]
        constraints = [
            models.UniqueConstraint(fields=["response", "outcome"], name="training_rating_unique_per_outcome"),
            models.CheckConstraint(
                condition=models.Q(before__gte=1, before__lte=5, after__gte=1, after__lte=5),
                name="training_rating_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome}: {self.before} to {self.after}"
