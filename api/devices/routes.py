"""/v1/devices: the phones that receive the caller's pushes."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import Row

from api.auth import current_user
from api.devices import service
from api.devices.models import Device
from api.devices.schemas import DeviceInSchema, DeviceSchema
from api.extensions import db
from api.read_only import read_only

blp = Blueprint("devices", __name__, url_prefix="/v1/devices", description="Push devices")


@blp.route("")
class Devices(MethodView):
    @blp.arguments(DeviceInSchema())
    @blp.response(201, DeviceSchema)
    @blp.alt_response(200, schema=DeviceSchema, description="The token was already yours")
    def post(self, body: dict[str, Any]) -> tuple[Device, int]:
        """Register this phone's push token"""
        device, created = service.register(
            db.session,
            user_id=current_user().id,
            token=body["token"],
            platform=body["platform"],
            app_version=body.get("app_version"),
        )
        return device, 201 if created else 200

    @read_only
    @blp.response(200, DeviceSchema(many=True))
    def get(self) -> list[Row[Any]]:
        """List my devices (tokens masked)"""
        return service.list_for(db.session, user_id=current_user().id)


@blp.route("/<int:device_id>")
class DeviceById(MethodView):
    @blp.response(204)
    def delete(self, device_id: int) -> None:
        """Sign this phone out of pushes"""
        service.remove(db.session, user_id=current_user().id, device_id=device_id)
