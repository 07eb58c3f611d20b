"""Every model, imported in one place so Alembic and the app see the whole schema."""

from api.devices.models import Device
from api.notifications.models import Delivery, Notification
from api.pairing.models import Couple, Invite
from api.rituals.models import Ritual
from api.users.models import User

__all__ = ["Couple", "Delivery", "Device", "Invite", "Notification", "Ritual", "User"]
