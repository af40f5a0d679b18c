"""What the API sends and takes, described for the OpenAPI document."""

import datetime

from django.utils.translation import gettext_noop as N_
from ninja import Field, Schema
from pydantic import AliasChoices, ConfigDict

from leaks.phones import MAX_INPUT_LENGTH


class BreachOut(Schema):
    """A breach, with the fields Have I Been Pwned made familiar (in snake_case)."""

    # Read from the model's slug, or from "name" when re-validated.
    name: str = Field(
        validation_alias=AliasChoices("slug", "name"),
        description=N_("Stable identifier (slug), used in /breaches/{name}."),
    )
    title: str
    domain: str = Field(description=N_("Domain of the breached service; empty when unknown."))
    breach_date: datetime.date | None = Field(description=N_("When the data was taken."))
    added_date: datetime.datetime = Field(description=N_("When the breach was added here."))
    modified_date: datetime.datetime
    pwn_count: int = Field(description=N_("Distinct valid phone numbers in the breach."))
    description: str = Field(description=N_("Plain text."))
    data_classes: list[str] = Field(description=N_("Keys from /dataclasses."))
    is_verified: bool
    is_fabricated: bool
    is_sensitive: bool = Field(description=N_("Never returned by a lookup."))
    is_spam_list: bool


class BreachName(Schema):
    """A breach named only, for truncated lookups."""

    name: str


class DataClassOut(Schema):
    key: str = Field(description=N_("Stable key, as used in a breach's data_classes."))
    name: str = Field(description=N_("Name for people, in the request's language."))


class LookupIn(Schema):
    # JSON has real booleans: 0 or "yes" is a mistake to report, not to guess at.
    model_config = ConfigDict(strict=True)

    number: str = Field(
        min_length=1,
        max_length=MAX_INPUT_LENGTH * 2,
        description=N_(
            "The phone number in any usual form: 13800138000, +86 138 0013 8000, "
            "010-65529988. Sent in the body so that it never appears in a URL or access log."
        ),
        examples=["+8613800138000"],
    )
    region: str | None = Field(
        None,
        pattern=r"^[A-Z]{2}$",
        description=N_(
            "ISO 3166 region for numbers written without +country code "
            "(default: the site's region, usually CN)."
        ),
    )
    truncate_response: bool = Field(
        True, description=N_("Return only breach names (as Have I Been Pwned does by default).")
    )
    include_unverified: bool = Field(True, description=N_("Include breaches not verified yet."))


class LookupOut(Schema):
    breaches: list[BreachOut | BreachName] = Field(
        description=N_(
            "Breaches holding the number, newest first; empty when none. "
            "Names only when truncate_response is true. Sensitive and retired breaches "
            "are never included."
        )
    )
