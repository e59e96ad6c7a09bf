"""Customers in GraphQL: the contact list with tag filters, bulk upsert, import and tag meta."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any, cast

import strawberry
from starlette.datastructures import UploadFile
from strawberry import UNSET
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from app.customers.bulk import RowError
from app.customers.importer import ImportResult
from app.customers.service import CustomerFilter
from app.db.models import Customer
from app.errors import Invalid
from schema.calls import CallType
from schema.context import Info, org_of
from schema.inputs import provided
from schema.loaders import loaders
from schema.rate_limit import RateLimit


@strawberry.type(name="Customer")
class CustomerType:
    uuid: strawberry.ID
    name: str
    phone: str
    email: str | None
    tags: list[str]
    preferred_language: str | None
    metadata: JSON
    total_calls: int
    inbound_calls: int
    outbound_calls: int
    last_contact: datetime | None
    created_at: datetime

    @strawberry.field(description="The customer's most recent calls (up to 20), newest first.")
    async def recent_calls(self, info: Info) -> list[CallType]:
        calls = await loaders(info).recent_calls.load(str(self.uuid))
        public_url = info.context.platform.settings.public_url
        return [CallType.of(call, public_url) for call in calls]

    @classmethod
    def of(cls, customer: Customer) -> CustomerType:
        return cls(
            uuid=strawberry.ID(customer.id),
            name=customer.name,
            phone=customer.phone,
            email=customer.email,
            tags=list(customer.tags or []),
            preferred_language=customer.preferred_language,
            metadata=JSON(customer.metadata or {}),
            total_calls=customer.total_calls,
            inbound_calls=customer.inbound_calls,
            outbound_calls=customer.outbound_calls,
            last_contact=customer.last_contact,
            created_at=customer.created_at,
        )


@strawberry.type
class CustomerPage:
    customers: list[CustomerType]
    total: int = strawberry.field(description="How many customers match the filters, ignoring limit and offset.")


@strawberry.type
class CustomerCount:
    count: int


@strawberry.type(name="CustomerRowError")
class RowErrorType:
    row: int = strawberry.field(description="Index in the request's customers array, or the file's line or item.")
    phone: str | None
    reason: str

    @classmethod
    def of(cls, error: RowError) -> RowErrorType:
        return cls(row=error.row, phone=error.phone, reason=error.reason)


@strawberry.type
class BulkUpsertResult:
    created: int
    updated: int
    errors: list[RowErrorType]


@strawberry.type
class CustomerImportResult:
    imported: int
    updated: int
    skipped: int = strawberry.field(description="Rows not written: blank rows and the rows listed in errors.")
    errors: list[RowErrorType] = strawberry.field(description="The first 1000 bad rows, by row number.")


@strawberry.input
class CustomerFilterInput:
    search: str | None = UNSET
    tags: list[str] | None = UNSET
    min_inbound_calls: int | None = UNSET
    max_inbound_calls: int | None = UNSET
    min_outbound_calls: int | None = UNSET
    max_outbound_calls: int | None = UNSET


@strawberry.input
class CreateCustomerInput:
    name: str
    phone: str = strawberry.field(description="E.164, e.g. +14155550192; the upsert key.")
    email: str | None = UNSET
    tags: list[str] | None = UNSET
    preferred_language: str | None = UNSET
    metadata: JSON | None = UNSET
    overwrite: bool | None = strawberry.field(
        default=False, description="Upsert when the phone exists (metadata merged) instead of a 409."
    )


@strawberry.input
class UpdateCustomerInput:
    name: str | None = UNSET
    phone: str | None = UNSET
    email: str | None = UNSET
    tags: list[str] | None = UNSET
    preferred_language: str | None = UNSET
    metadata: JSON | None = strawberry.field(default=UNSET, description="Merged key by key into the stored one.")


@strawberry.input
class BulkCustomerRecord:
    """Every field is optional here so that a record missing one is a row error, not a failed batch."""

    name: str | None = UNSET
    phone: str | None = UNSET
    email: str | None = UNSET
    tags: list[str] | None = UNSET
    preferred_language: str | None = UNSET
    metadata: JSON | None = UNSET


@strawberry.input
class BulkCustomersInput:
    customers: list[BulkCustomerRecord] = strawberry.field(description="Up to 1000 records.")
    mode: str | None = strawberry.field(
        default="upsert", description="upsert (merge by phone) or append (create only; a known phone is a row error)."
    )


def _filter(spec: CustomerFilterInput | None, **flat: object) -> CustomerFilter:
    values: dict[str, Any] = {key: value for key, value in flat.items() if value is not None}
    if spec:
        values.update({key: value for key, value in provided(spec).items() if value is not None})
    values["tags"] = tuple(values.get("tags") or ())
    return CustomerFilter(**values)


@strawberry.type
class CustomerQueries:
    @strawberry.field(description="Customers, newest first. Filters come flat (as REST sends them) or as `filter`.")
    async def customers(
        self,
        info: Info,
        search: str | None = None,
        tags: list[str] | None = None,
        limit: int | None = 50,
        offset: int | None = 0,
        min_inbound_calls: int | None = None,
        max_inbound_calls: int | None = None,
        min_outbound_calls: int | None = None,
        max_outbound_calls: int | None = None,
        filter: CustomerFilterInput | None = None,
    ) -> CustomerPage:
        organisation = await org_of(info)
        spec = _filter(
            filter,
            search=search,
            tags=tags,
            min_inbound_calls=min_inbound_calls,
            max_inbound_calls=max_inbound_calls,
            min_outbound_calls=min_outbound_calls,
            max_outbound_calls=max_outbound_calls,
        )
        page = await info.context.platform.customers.list(
            organisation, spec, limit=50 if limit is None else limit, offset=offset or 0
        )
        return CustomerPage(customers=[CustomerType.of(c) for c in page.customers], total=page.total)

    @strawberry.field
    async def customer(self, info: Info, uuid: strawberry.ID) -> CustomerType:
        organisation = await org_of(info)
        return CustomerType.of(await info.context.platform.customers.get(organisation, uuid))

    @strawberry.field(description="Every tag at least one customer has, sorted.")
    async def customer_tags(self, info: Info) -> list[str]:
        return await info.context.platform.customers.tags(await org_of(info))

    @strawberry.field(description="Tags that start with 'Branch:', as stored (usable in flow branches).")
    async def customer_branches(self, info: Info) -> list[str]:
        return await info.context.platform.customers.branches(await org_of(info))

    @strawberry.field(description="Customers with any of the tags (all customers without tags).")
    async def customer_count(self, info: Info, tags: list[str] | None = None) -> CustomerCount:
        return CustomerCount(count=await info.context.platform.customers.count(await org_of(info), tags))


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(extensions=[RateLimit("60/minute")])
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> CustomerType:
        organisation = await org_of(info)
        data = provided(input)
        overwrite = bool(data.pop("overwrite", False))
        customer = await info.context.platform.customers.create(organisation, data, overwrite=overwrite)
        return CustomerType.of(customer)

    @strawberry.mutation(extensions=[RateLimit("60/minute")], description="Partial; metadata is merged.")
    async def update_customer(self, info: Info, uuid: strawberry.ID, input: UpdateCustomerInput) -> CustomerType:
        organisation = await org_of(info)
        return CustomerType.of(await info.context.platform.customers.update(organisation, uuid, provided(input)))

    @strawberry.mutation(extensions=[RateLimit("10/minute")])
    async def bulk_upsert_customers(self, info: Info, input: BulkCustomersInput) -> BulkUpsertResult:
        organisation = await org_of(info)
        data = provided(input)
        result = await info.context.platform.customers.bulk_upsert(
            organisation, data["customers"], data.get("mode") or "upsert"
        )
        return BulkUpsertResult(
            created=result.created, updated=result.updated, errors=[RowErrorType.of(error) for error in result.errors]
        )

    @strawberry.mutation(
        extensions=[RateLimit("5/minute")],
        description="Import a .csv or .json file: `file` as a multipart upload (up to the REST "
        "route's size), or a small one as text in `content` with its `filename`.",
    )
    async def import_customers(
        self, info: Info, filename: str | None = None, content: str | None = None, file: Upload | None = None
    ) -> CustomerImportResult:
        organisation = await org_of(info)
        if (content is None) == (file is None):
            raise Invalid("Send the file either as an upload in file or as text in content, not both")
        if file is not None:
            upload = cast(UploadFile, file)  # strawberry types Upload as bytes; Starlette hands an UploadFile
            binary, name = upload.file, filename or upload.filename or ""
        else:
            if not filename:
                raise Invalid("filename is required with content")
            binary, name = io.BytesIO((content or "").encode("utf-8")), filename
        return import_result(await info.context.platform.customer_import.run(organisation, name, binary))


def import_result(result: ImportResult) -> CustomerImportResult:
    return CustomerImportResult(
        imported=result.imported,
        updated=result.updated,
        skipped=result.skipped,
        errors=[RowErrorType.of(error) for error in result.errors],
    )
