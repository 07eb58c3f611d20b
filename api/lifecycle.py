"""Events every domain may need to act on, so that no domain imports all the others.

A domain that owns rows about a user or a couple subscribes in its own package
(``@user_erasing.connect``) and deletes or anonymises them in the session it is handed; the
sender commits. Receivers run inside the sender's transaction, before the rows they hang from
are deleted.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the User being erased; kwargs: session. Sent before the user row is deleted.
user_erasing = _signals.signal("user-erasing")

# sender: None; kwargs: session, couple_ids (list[int]). Sent before the couples are deleted.
couples_purging = _signals.signal("couples-purging")

# sender: the Couple that was just unpaired; kwargs: session.
couple_unpaired = _signals.signal("couple-unpaired")
