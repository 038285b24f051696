"""Bulk Core clones of the template learners' rows, and one learner's many check tries.

Each clone copies one template's rows (user, enrolment, progress, check tries, attempts and
answers, evaluation, certificate, status-list bit, correction request, audit events, outbox
messages) with ids remapped and unique values made afresh: certificate codes, status-list
bits, submission keys, statement ids, names and emails.
"""

from __future__ import annotations

import json
import random
import secrets
import time
import uuid
from datetime import timedelta

# Cloned tables, parents before children (the order rows are inserted in).
TABLES = (
    "user_account",
    "enrolment",
    "lesson_progress",
    "check_response",
    "post_test_attempt",
    "attempt_answer",
    "evaluation_response",
    "evaluation_answer",
    "certificate",
    "credential_status",
    "correction_request",
    "audit_event",
    "outbox_message",
)

# The account's own events, as a busy site's log holds: details changed, passwords reset
# or changed, sign-ins throttled.
ACCOUNT_ACTIONS = (
    "user.details_updated",
    "auth.password_reset",
    "auth.password_changed",
    "auth.sign_in_throttled",
)


def shift(row: dict, day: timedelta) -> dict:
    """Move every timestamp (``*_at``) of ``row`` back by ``day``; return the row."""
    for key, value in row.items():
        if key.endswith("_at") and value is not None and hasattr(value, "tzinfo"):
            row[key] = value - day
    return row


def fix_json(value, replace: dict[str, str]):
    """``value`` (JSON-able) with every template string in ``replace`` swapped for its own."""
    if value is None:
        return None
    dumped = json.dumps(value)
    for a, b in replace.items():
        dumped = dumped.replace(a, b)
    return json.loads(dumped)


def snapshot(conn, tables, uid: int) -> dict[str, list[dict]]:
    """Every row that belongs to template learner ``uid``, by table."""
    from sqlalchemy import select, text

    def rows(table, where):
        return [dict(r._mapping) for r in conn.execute(select(tables[table]).where(where))]

    T = tables
    user = rows("user_account", T["user_account"].c.id == uid)[0]
    enr = rows("enrolment", T["enrolment"].c.user_id == uid)
    enr_ids = [e["id"] for e in enr]
    att = rows("post_test_attempt", T["post_test_attempt"].c.enrolment_id.in_(enr_ids))
    ev = rows("evaluation_response", T["evaluation_response"].c.enrolment_id.in_(enr_ids))
    certs = rows("certificate", T["certificate"].c.user_id == uid)
    codes = {c["code"] for c in certs}

    def mine_event(r):
        return (
            r["actor_id"] == uid
            or (r["subject_type"] in ("user", "learner", "account") and r["subject_id"] == str(uid))
            or (r["subject_type"] == "certificate" and r["subject_id"] in codes)
            or (r["subject_type"] == "enrolment" and r["subject_id"] in {str(i) for i in enr_ids})
        )

    def mine_message(r):
        payload = json.dumps(r["payload"])
        return (
            r.get("user_id") == uid
            or any(code in payload for code in codes)
            or (r["subject_key"] and any(code in r["subject_key"] for code in codes))
            or user["email"] in payload
            or ((r["payload"].get("actor") or {}).get("account") or {}).get("name") == str(uid)
        )

    # The templates are few, so reading the whole log and outbox for each is cheap.
    return {
        "user": user,
        "enrolment": enr,
        "lesson_progress": rows(
            "lesson_progress", T["lesson_progress"].c.enrolment_id.in_(enr_ids)
        ),
        "check_response": rows("check_response", T["check_response"].c.enrolment_id.in_(enr_ids)),
        "post_test_attempt": att,
        "attempt_answer": rows(
            "attempt_answer", T["attempt_answer"].c.attempt_id.in_([a["id"] for a in att])
        ),
        "evaluation_response": ev,
        "evaluation_answer": rows(
            "evaluation_answer", T["evaluation_answer"].c.response_id.in_([e["id"] for e in ev])
        ),
        "certificate": certs,
        "credential_status": rows(
            "credential_status",
            T["credential_status"].c.certificate_id.in_([c["id"] for c in certs]),
        ),
        "correction_request": rows("correction_request", T["correction_request"].c.user_id == uid),
        "audit_event": [r for r in rows("audit_event", text("1=1")) if mine_event(r)],
        "outbox_message": [r for r in rows("outbox_message", text("1=1")) if mine_message(r)],
    }


def clone(
    app, templates: dict[str, int], mix: list[tuple[str, float]], count: int, rng: random.Random
) -> None:
    """Clone template learners' rows with Core, kinds drawn by ``mix``, to ``count`` learners."""
    from sqlalchemy import insert, text

    import certificates
    from course.credential_status import LIST_FILL
    from course.extensions import db

    T = db.metadata.tables
    with app.app_context():
        conn = db.session.connection()
        snap = {kind: snapshot(conn, T, uid) for kind, uid in templates.items()}
        next_id = {
            t: conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {t}")).scalar() + 1
            for t in TABLES
        }
        used_bits = {
            (r[0], r[1])
            for r in conn.execute(text("SELECT list_number, list_index FROM credential_status"))
        }
        status_list = 1
        in_list = sum(1 for n, _ in used_bits if n == status_list)
        pdfs = {
            c["id"]: conn.execute(
                text("SELECT pdf FROM certificate WHERE id = :i"), {"i": c["id"]}
            ).scalar()
            for s in snap.values()
            for c in s["certificate"]
        }

        kinds = [k for k, _ in mix]
        weights = [w for _, w in mix]
        out = {t: [] for t in TABLES}
        started = time.time()

        def flush():
            """Insert the rows gathered so far, parents first, in batches."""
            for t in TABLES:
                for s in range(0, len(out[t]), 2000):
                    conn.execute(insert(T[t]), out[t][s : s + 2000])
                out[t].clear()

        existing = len(templates)
        for n in range(existing, count):
            kind = rng.choices(kinds, weights)[0]
            s = snap[kind]
            day = timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 1440))
            new_name = f"Scale Learner {n:05d}"
            new_email = f"learner{n:05d}@example.org"
            replace = {s["user"]["email"]: new_email, s["user"]["full_name"]: new_name}
            if kind == "reissued":
                replace["Template Reissued Learner-Smith"] = f"Scale Learner-Smith {n:05d}"
            idmap = {t: {} for t in TABLES}

            def new(table, old, idmap=idmap):
                """A fresh id for ``table``, remembered as the clone of template id ``old``."""
                idmap[table][old] = next_id[table]
                next_id[table] += 1
                return idmap[table][old]

            u = dict(s["user"])
            u["id"] = new("user_account", u["id"])
            u["email"] = new_email
            u["full_name"] = replace.get(s["user"]["full_name"], new_name)
            if kind == "reissued":
                u["full_name"] = replace["Template Reissued Learner-Smith"]
            out["user_account"].append(shift(u, day))
            for c in s["certificate"]:
                replace[c["code"]] = certificates.new_code()

            for e in s["enrolment"]:
                e = dict(e)
                e["id"] = new("enrolment", e["id"])
                e["user_id"] = u["id"]
                e["choice_seed"] = secrets.token_hex(16)
                out["enrolment"].append(shift(e, day))

            def children(table, key, parent, dated=True, s=s, day=day, idmap=idmap):
                """Copy the template's rows of ``table``: a new id, ``key`` pointing at the
                clone of its ``parent`` row, and (``dated``) the clone's dates."""
                for r in s[table]:
                    r = dict(r, id=new(table, r["id"]), **{key: idmap[parent][r[key]]})
                    out[table].append(shift(r, day) if dated else r)
                return out[table][len(out[table]) - len(s[table]) :]

            children("lesson_progress", "enrolment_id", "enrolment")
            for r in children("check_response", "enrolment_id", "enrolment"):
                r["submission_key"] = secrets.token_urlsafe(24) if r["submission_key"] else None
            children("post_test_attempt", "enrolment_id", "enrolment")
            children("attempt_answer", "attempt_id", "post_test_attempt", dated=False)
            children("evaluation_response", "enrolment_id", "enrolment")
            for r in children("evaluation_answer", "response_id", "evaluation_response", False):
                if r["value"] == "4":  # spread the Likert ratings, so the report has a spread
                    r["value"] = str(rng.choice([3, 4, 4, 5, 5]))
            for r in s["certificate"]:
                new("certificate", r["id"])
            # a replaced certificate points at its replacement: insert that one first
            for r in sorted(s["certificate"], key=lambda c: c["superseded_by_id"] is not None):
                old_id = r["id"]
                r = dict(r)
                r["id"] = idmap["certificate"][old_id]
                r["code"] = replace[r["code"]]
                r["user_id"] = u["id"]
                r["enrolment_id"] = idmap["enrolment"][r["enrolment_id"]]
                if r["superseded_by_id"]:
                    r["superseded_by_id"] = idmap["certificate"][r["superseded_by_id"]]
                r["snapshot"] = fix_json(r["snapshot"], replace)
                r["pdf"] = pdfs[old_id]  # the template's PDF: rendering thousands is slow
                out["certificate"].append(shift(r, day))
            for r in s["credential_status"]:
                r = dict(r)
                r["id"] = new("credential_status", r["id"])
                r["certificate_id"] = idmap["certificate"][r["certificate_id"]]
                if in_list >= LIST_FILL:  # filled as the app fills them
                    status_list += 1
                    in_list = 0
                while True:
                    bit = rng.randrange(certificates.LIST_SIZE)
                    if (status_list, bit) not in used_bits:
                        break
                used_bits.add((status_list, bit))
                in_list += 1
                r["list_number"], r["list_index"] = status_list, bit
                out["credential_status"].append(r)
            for r in s["correction_request"]:
                r = dict(r)
                r["id"] = new("correction_request", r["id"])
                r["user_id"] = u["id"]
                r["certificate_id"] = idmap["certificate"][r["certificate_id"]]
                out["correction_request"].append(shift(r, day))
            for r in s["audit_event"]:
                r = dict(r)
                r["id"] = new("audit_event", r["id"])
                if r["actor_id"] == s["user"]["id"]:
                    r["actor_id"] = u["id"]
                if r["subject_id"] == str(s["user"]["id"]):
                    r["subject_id"] = str(u["id"])
                elif r["subject_id"] in replace:
                    r["subject_id"] = replace[r["subject_id"]]
                elif r["subject_type"] == "enrolment":
                    r["subject_id"] = str(
                        idmap["enrolment"].get(int(r["subject_id"]), r["subject_id"])
                    )
                r["detail"] = fix_json(r["detail"], replace)
                out["audit_event"].append(shift(r, day))
            for r in s["outbox_message"]:
                r = dict(r)
                r["id"] = new("outbox_message", r["id"])
                r["message_id"] = str(uuid.uuid4())
                if rng.random() < 0.97:  # most were sent long ago
                    r["sent_at"] = r["created_at"]
                    r["attempts"] = 1
                r["payload"] = fix_json(r["payload"], replace)
                if r["payload"].get("id") is not None:
                    r["payload"]["id"] = r["message_id"]
                account = (r["payload"].get("actor") or {}).get("account")
                if account:
                    account["name"] = str(u["id"])
                if r.get("user_id") is not None:  # the learner the statement is about
                    r["user_id"] = u["id"]
                if r["subject_key"]:
                    r["subject_key"] = fix_json(r["subject_key"], replace)
                out["outbox_message"].append(shift(r, day))
            for _ in range(rng.randint(0, 4)):
                action = rng.choice(ACCOUNT_ACTIONS)
                out["audit_event"].append(
                    {
                        "id": next_id["audit_event"],
                        "created_at": u["created_at"] + timedelta(days=rng.randint(0, 30)),
                        "actor_id": None if action == "auth.sign_in_throttled" else u["id"],
                        "action": action,
                        "subject_type": "user",
                        "subject_id": str(u["id"]),
                        "detail": {"changed": ["full_name"]}
                        if action == "user.details_updated"
                        else {},
                        "ip_address": f"203.0.113.{rng.randint(1, 254)}",
                    }
                )
                next_id["audit_event"] += 1
            if len(out["check_response"]) > 20000:  # bound memory at large counts
                flush()
        flush()
        db.session.commit()
        print(f"cloned {count - existing} learners in {time.time() - started:.1f}s", flush=True)


def many_tries(app, email: str, tries: int) -> None:
    """Give one learner ``tries`` more knowledge-check tries (spread over their checks)."""
    from sqlalchemy import insert, select

    from course.db import utcnow
    from course.extensions import db
    from course.models import CheckResponse, Enrolment, User

    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        enrolment = db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == user_id))
        mine = db.session.execute(
            select(
                CheckResponse.question_id,
                CheckResponse.version_id,
                CheckResponse.selected,
                CheckResponse.is_correct,
            ).where(CheckResponse.enrolment_id == enrolment)
        ).all()
        now = utcnow()
        rows = [
            {
                "enrolment_id": enrolment,
                "question_id": q,
                "version_id": v,
                "selected": sel,
                "is_correct": ok,
                "created_at": now - timedelta(seconds=tries - i),
                "submission_key": secrets.token_urlsafe(24),
            }
            for i, (q, v, sel, ok) in enumerate(mine[i % len(mine)] for i in range(tries))
        ]
        for s in range(0, len(rows), 5000):
            db.session.execute(insert(CheckResponse), rows[s : s + 5000])
        db.session.commit()
