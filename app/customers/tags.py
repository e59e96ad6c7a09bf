"""The tag and link tables behind customer tag filters, counts and the tag meta endpoints.

Call these inside the caller's transaction: they never open one of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tortoise.expressions import Subquery

from app.db.models import CustomerTag, Tag
from app.db.sql import dialect, execute, execute_many, fetch, placeholders

BRANCH_PREFIX = "Branch:"
SQLITE_IN_CHUNK = 500  # ids per `IN (...)`, well under any SQLite build's variable limit


async def tag_ids(organisation_id: str, names: Iterable[str], *, create: bool) -> dict[str, int]:
    """Ids of the named tags; with `create`, missing ones are inserted (concurrent inserts are ignored)."""
    wanted = set(names)
    if not wanted:
        return {}
    found = dict(await Tag.filter(organisation_id=organisation_id, name__in=wanted).values_list("name", "id"))
    missing = wanted - found.keys()
    if missing and create:
        await Tag.bulk_create(
            [Tag(organisation_id=organisation_id, name=name) for name in missing], ignore_conflicts=True
        )
        found.update(await Tag.filter(organisation_id=organisation_id, name__in=missing).values_list("name", "id"))
    return found


async def link(organisation_id: str, tags_by_customer: Mapping[str, list[str]], *, replace: bool) -> None:
    """Make the link rows say exactly `tags_by_customer` for those customers (set-based: one DELETE, one INSERT)."""
    if not tags_by_customer:
        return
    customers = list(tags_by_customer)
    postgres = dialect() == "postgres"
    if replace:
        if postgres:
            await execute("DELETE FROM customer_tags WHERE customer_id = ANY(?::varchar[])", [customers])
        else:
            for start in range(0, len(customers), SQLITE_IN_CHUNK):
                chunk = customers[start : start + SQLITE_IN_CHUNK]
                await execute(f"DELETE FROM customer_tags WHERE customer_id IN ({placeholders(len(chunk))})", chunk)
    ids = await tag_ids(organisation_id, {tag for tags in tags_by_customer.values() for tag in tags}, create=True)
    links = [(customer, ids[tag]) for customer, tags in tags_by_customer.items() for tag in tags]
    if not links:
        return
    if postgres:
        await execute(
            "INSERT INTO customer_tags (customer_id, tag_id) SELECT * FROM unnest(?::varchar[], ?::int[])",
            [[customer for customer, _ in links], [tag for _, tag in links]],
        )
    else:
        await execute_many("INSERT INTO customer_tags (customer_id, tag_id) VALUES (?, ?)", links)


def customers_with_any(tag_ids: list[int]) -> Subquery:
    """A subquery of customer ids having at least one of the tags, for `id__in=`.

    Tag ids are resolved first (a tiny query), so the planner sees a plain index range on the link table.
    """
    return Subquery(CustomerTag.filter(tag_id__in=tag_ids).values("customer_id"))


async def count_with_any(organisation_id: str, tags: list[str]) -> int:
    """Counted on the link table alone: an index-only scan of (tag_id, customer_id)."""
    return await count_with_tag_ids(list((await tag_ids(organisation_id, tags, create=False)).values()))


async def count_with_tag_ids(ids: list[int]) -> int:
    """Distinct customers having any of the tags, from the (tag_id, customer_id) index alone.

    With several tags the ids are de-duplicated by a sort; on PostgreSQL it compares them as bytes
    (`COLLATE "C"`) instead of through the database locale, about a third faster and the same answer,
    since equal ids are equal byte strings whatever the collation.
    """
    if not ids:
        return 0
    if len(ids) == 1:
        what = "COUNT(*)"
    elif dialect() == "postgres":
        what = 'COUNT(DISTINCT customer_id COLLATE "C")'
    else:
        what = "COUNT(DISTINCT customer_id)"
    rows = await fetch(f"SELECT {what} AS n FROM customer_tags WHERE tag_id IN ({placeholders(len(ids))})", ids)
    return int(rows[0]["n"])


async def used_tags(organisation_id: str, prefix: str | None = None) -> list[str]:
    """Tags at least one customer has, sorted; one index probe per tag of the organisation."""
    sql = (
        "SELECT t.name FROM tags t WHERE t.organisation_id = ? "
        "AND EXISTS (SELECT 1 FROM customer_tags ct WHERE ct.tag_id = t.id)"
    )
    params: list[object] = [organisation_id]
    if prefix:
        sql += " AND t.name LIKE ? ESCAPE '\\'"
        params.append(_like_prefix(prefix))
    rows = await fetch(sql + " ORDER BY t.name", params)
    # SQLite's LIKE ignores ASCII case: the prefix is checked exactly here.
    return [row["name"] for row in rows if not prefix or row["name"].startswith(prefix)]


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
