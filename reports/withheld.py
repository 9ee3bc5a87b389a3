"""How a report shows a withheld value: null in the snapshot, and listed with its reason
(never the value) in its ``withheld`` section."""

from publication.withholding import withheld_by_record


def masked(model, rows: list[dict], record_name, withheld_list: list[dict], fields) -> None:
    """Null each withheld value of ``rows`` (dicts with ``id``) and list it, with its
    reason, in ``withheld_list``."""
    withheld = withheld_by_record(model, [row["id"] for row in rows])
    for row in rows:
        for field, withholding in sorted(withheld.get(row["id"], {}).items()):
            if field not in fields:
                continue
            row[field] = None
            withheld_list.append(
                {
                    "record": record_name(row),
                    "field": field,
                    "field_label": str(model._meta.get_field(field).verbose_name),
                    "reason_code": withholding.reason_code,
                    "reason_label": str(withholding.reason_label),
                    "rationale": withholding.rationale,
                    "available_on": withholding.available_on,
                }
            )
        row.setdefault("withheld_fields", sorted(withheld.get(row["id"], {})))
