"""GET …/credits/transactions/{id}/lots: which lots a ledger entry took its credits from.

Thin door onto `credits/entry_lots.py` (the history drawer reads the same function): members
read the org wallet's entries, outsiders 404, another wallet's entry 404 transaction_not_found.
"""

from typing import Annotated

from fastapi import Path, Response

from credits_app.api.deps import AsciiInteger, CurrentUser, OrgMember
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import LotUseOut, LotUsesOut
from credits_app.credits.entry_lots import entry_lots
from credits_app.credits.owners import WalletOwner

router = api_router("credits")

EntryId = Annotated[
    int,
    AsciiInteger,
    Path(alias="id", ge=1, le=2**63 - 1, description="The ledger entry (transaction) id"),
]


@router.get("/credits/transactions/{id}/lots", response_model=LotUsesOut)
def personal_entry_lots(entry_id: EntryId, user: CurrentUser) -> Response:
    """The lots an entry of my wallet used, in the order taken ([] for a credit)."""
    return _respond(WalletOwner.user(user.id), entry_id)


@router.get("/orgs/{orgId}/credits/transactions/{id}/lots", response_model=LotUsesOut)
def org_entry_lots(entry_id: EntryId, access: OrgMember) -> Response:
    """The lots an entry of the org wallet used (members read it too)."""
    return _respond(WalletOwner.org(access.org_id), entry_id)


def _respond(owner: WalletOwner, entry_id: int) -> Response:
    items = [LotUseOut.of(use) for use in entry_lots(owner, entry_id)]
    return respond(LotUsesOut(items=items))
