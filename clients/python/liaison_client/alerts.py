"""Building an Alert from plain values, with the CLI's defaults."""

import datetime
import uuid

from google.protobuf import timestamp_pb2

from .v1 import alert_pb2


def _enum(enum_type, prefix, name, field):
    """'URGENT' (or 'PRIORITY_URGENT') -> PRIORITY_URGENT's number."""
    wanted = str(name).upper().replace("+", "_").replace("-", "_")
    if not wanted.startswith(prefix):
        wanted = prefix + wanted
    if wanted.endswith("_UNSPECIFIED") or wanted not in enum_type.keys():
        names = [n[len(prefix):] for n in enum_type.keys() if not n.endswith("_UNSPECIFIED")]
        raise ValueError(f"{field}: {name!r} is not one of {', '.join(names)}")
    return enum_type.Value(wanted)


def _timestamp(when):
    if when.tzinfo is None:
        raise ValueError("times must be timezone-aware (e.g. datetime.now(timezone.utc))")
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(when.astimezone(datetime.timezone.utc))
    return ts


def build_alert(origin, to, subject, *, body="", kind="INFORMATION", category="OTHER",
                priority="ROUTINE", tlp="AMBER", restriction="H0", restriction_text="",
                evaluation="X4", language="en", entities=(), alert_id=None, in_reply_to="",
                case_reference="", created_at=None, expires_at=None):
    """An Alert from `origin` (the sender's member code) to `to` (member codes
    or group names, e.g. ["HU"] or "WB6").

    Enumerations take the names of alert.proto without their prefix:
    kind INFORMATION | REQUEST_FOR_ASSISTANCE | REPLY | WARNING | WITHDRAWAL |
    CORRECTION; category SMUGGLING_ROUTE | VEHICLE | PERSON | DOCUMENT_FRAUD |
    FINANCIAL_FLOW | COMMUNICATION | ORGANISED_GROUP | OTHER; priority FLASH |
    URGENT | ROUTINE; tlp RED | AMBER+STRICT | AMBER | GREEN | CLEAR;
    restriction H0 | H1 | H2 | H3 (H3 needs restriction_text); evaluation two
    characters, source reliability A|B|C|X and information reliability 1-4.
    entities: (TYPE, VALUE) pairs, e.g. ("VEHICLE_PLATE", "W-12345X").
    alert_id: a lower-case UUID, new when None. created_at: now when None;
    created_at and expires_at are timezone-aware datetimes.
    Raises ValueError for a name outside its enumeration."""
    if isinstance(to, str):
        to = [to]
    if len(evaluation) != 2:
        raise ValueError("evaluation: expected two characters such as B2 or X4")
    alert = alert_pb2.Alert(
        id=alert_id or str(uuid.uuid4()),
        origin=origin,
        recipients=list(to),
        kind=_enum(alert_pb2.Kind, "KIND_", kind, "kind"),
        category=_enum(alert_pb2.Category, "CATEGORY_", category, "category"),
        priority=_enum(alert_pb2.Priority, "PRIORITY_", priority, "priority"),
        tlp=_enum(alert_pb2.Tlp, "TLP_", tlp, "tlp"),
        restriction=_enum(alert_pb2.Restriction, "RESTRICTION_", restriction, "restriction"),
        restriction_text=restriction_text,
        evaluation=alert_pb2.Evaluation(
            source=_enum(alert_pb2.SourceReliability, "SOURCE_RELIABILITY_", evaluation[0],
                         "evaluation"),
            information=_enum(alert_pb2.InformationReliability, "INFORMATION_RELIABILITY_",
                              evaluation[1], "evaluation")),
        subject=subject,
        body=body,
        language=language,
        entities=[alert_pb2.Entity(type=_enum(alert_pb2.EntityType, "ENTITY_TYPE_", t, "entity"),
                                   value=v) for t, v in entities],
        in_reply_to=in_reply_to,
        case_reference=case_reference,
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    alert.created_at.CopyFrom(_timestamp(created_at or now))
    if expires_at is not None:
        alert.expires_at.CopyFrom(_timestamp(expires_at))
    return alert
