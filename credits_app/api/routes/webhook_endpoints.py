"""Outgoing webhook endpoints, personal and org (owners/admins), and their delivery logs."""

from typing import Annotated

from fastapi import Path, Response

from credits_app.api.deps import AsciiInteger, CurrentUser, OrgManager
from credits_app.api.encoding import respond
from credits_app.api.notification_schemas import (
    CreatedEndpointOut,
    DeliveriesOut,
    DeliveryOut,
    EndpointIn,
    EndpointOut,
    EndpointsOut,
)
from credits_app.api.responses import api_router
from credits_app.credits.owners import WalletOwner
from credits_app.notifications import endpoints

router = api_router("webhook endpoints")
EndpointId = Annotated[int, AsciiInteger, Path(alias="endpointId", ge=1, le=2**31 - 1)]


@router.post("/webhook-endpoints", status_code=201, response_model=CreatedEndpointOut)
def create_personal(body: EndpointIn, user: CurrentUser) -> Response:
    """Subscribe a URL to my wallet's events; the signing secret is shown only here."""
    return _create(WalletOwner.user(user.id), user.id, body)


@router.get("/webhook-endpoints", response_model=EndpointsOut)
def list_personal(user: CurrentUser) -> Response:
    """My endpoints (without secrets)."""
    return _list(WalletOwner.user(user.id))


@router.delete("/webhook-endpoints/{endpointId}", status_code=204)
def delete_personal(user: CurrentUser, endpoint_id: EndpointId) -> Response:
    """Stop sending to this endpoint."""
    endpoints.delete_endpoint(WalletOwner.user(user.id), endpoint_id)
    return Response(status_code=204)


@router.get("/webhook-endpoints/{endpointId}/deliveries", response_model=DeliveriesOut)
def personal_deliveries(user: CurrentUser, endpoint_id: EndpointId) -> Response:
    """The endpoint's delivery log, newest first."""
    return _deliveries(WalletOwner.user(user.id), endpoint_id)


@router.post("/webhook-endpoints/{endpointId}/test", status_code=202)
def test_personal(user: CurrentUser, endpoint_id: EndpointId) -> Response:
    """Queue a signed `webhook.test` delivery to this endpoint (see its delivery log)."""
    return _test(WalletOwner.user(user.id), endpoint_id)


@router.post("/orgs/{orgId}/webhook-endpoints/{endpointId}/test", status_code=202)
def test_org(access: OrgManager, endpoint_id: EndpointId) -> Response:
    """Queue a signed `webhook.test` delivery to the org's endpoint."""
    return _test(WalletOwner.org(access.org_id), endpoint_id)


@router.post("/orgs/{orgId}/webhook-endpoints", status_code=201, response_model=CreatedEndpointOut)
def create_org(body: EndpointIn, access: OrgManager) -> Response:
    """Owners and admins subscribe a URL to the org wallet's events."""
    return _create(WalletOwner.org(access.org_id), access.user.id, body)


@router.get("/orgs/{orgId}/webhook-endpoints", response_model=EndpointsOut)
def list_org(access: OrgManager) -> Response:
    """The org's endpoints (owners and admins)."""
    return _list(WalletOwner.org(access.org_id))


@router.delete("/orgs/{orgId}/webhook-endpoints/{endpointId}", status_code=204)
def delete_org(access: OrgManager, endpoint_id: EndpointId) -> Response:
    """Stop sending the org's events to this endpoint."""
    endpoints.delete_endpoint(WalletOwner.org(access.org_id), endpoint_id)
    return Response(status_code=204)


@router.get("/orgs/{orgId}/webhook-endpoints/{endpointId}/deliveries", response_model=DeliveriesOut)
def org_deliveries(access: OrgManager, endpoint_id: EndpointId) -> Response:
    """The org endpoint's delivery log, newest first."""
    return _deliveries(WalletOwner.org(access.org_id), endpoint_id)


def _create(owner: WalletOwner, user_id: int, body: EndpointIn) -> Response:
    created = endpoints.create_endpoint(owner, user_id, body.url, list(body.events))
    return respond(CreatedEndpointOut.created(created), status_code=201)


def _list(owner: WalletOwner) -> Response:
    return respond(EndpointsOut(items=[EndpointOut.of(e) for e in endpoints.list_endpoints(owner)]))


def _deliveries(owner: WalletOwner, endpoint_id: int) -> Response:
    log = endpoints.list_deliveries(owner, endpoint_id)
    return respond(DeliveriesOut(items=[DeliveryOut.of(d) for d in log]))


def _test(owner: WalletOwner, endpoint_id: int) -> Response:
    delivery_id = endpoints.send_test_event(owner, endpoint_id)
    return respond({"deliveryId": delivery_id}, status_code=202)
