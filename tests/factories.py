"""factory_boy factories, committed through the test's session."""

from __future__ import annotations

from datetime import time

import factory
from factory.alchemy import SQLAlchemyModelFactory

from api.devices.models import Device
from api.extensions import db
from api.pairing.models import Couple
from api.rituals.models import Ritual
from api.users.models import User


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(_Base):
    class Meta:
        model = User

    uid = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    timezone = "Europe/Berlin"
    locale = "en"


class DeviceFactory(_Base):
    class Meta:
        model = Device
        exclude = ("user",)

    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    token = factory.Sequence(lambda n: f"fcm-token-{n:06d}-" + "x" * 140)
    platform = "ios"


class CoupleFactory(_Base):
    """A couple of two fresh users (or the ones given), both pointing at it."""

    class Meta:
        model = Couple
        exclude = ("a", "b")

    a = factory.SubFactory(UserFactory)
    b = factory.SubFactory(UserFactory)
    user_a_id = factory.SelfAttribute("a.id")
    user_b_id = factory.SelfAttribute("b.id")
    timezone = "Europe/Berlin"
    day_starts_at = time(4, 0)

    @factory.post_generation
    def _link(self, create: bool, extracted: object, **kwargs: object) -> None:
        for user_id in (self.user_a_id, self.user_b_id):
            db.session.get(User, user_id).couple_id = self.id
        db.session.commit()


class RitualFactory(_Base):
    class Meta:
        model = Ritual
        exclude = ("couple",)

    couple = factory.SubFactory(CoupleFactory)
    couple_id = factory.SelfAttribute("couple.id")
    title = "Six-second kiss"
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    time = time(18, 30)
    timezone = factory.SelfAttribute("couple.timezone")
    follows_couple = True
    completion = "either"
    client_id = factory.Faker("uuid4")


def couple_id_of(user: User) -> int:
    """The id of user's couple, pairing them with a fresh partner first if they have none."""
    if user.couple_id is None:
        CoupleFactory(a=user)
    return user.couple_id
