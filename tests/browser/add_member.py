"""Run in a subprocess beside a running ``jalon serve``: the demo collectivité's id, and a new member of it.

Usage: ``python add_member.py DATA_DIR [USERNAME PASSWORD ROLE]``; prints ``{"collectivite_id": …}``. ROLE
``staff`` makes a staff account, ``aucun`` an account, neither a member.
The server's SQLite database (WAL) is shared; the browser tests never touch Django in their own process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(data_dir: Path, member: list[str]) -> None:
    from jalon.web.serve import DEMO_NOM, configure

    configure(None, data_dir)
    from django.contrib.auth.models import User

    from jalon.web.collectivites.models import Collectivite, Membership

    collectivite = Collectivite.objects.get(nom=DEMO_NOM)
    if member:
        username, password, role = member
        # « staff »: the platform's staff, not a member; « aucun »: an account that is not a member.
        user = User.objects.create_user(username=username, password=password, is_staff=role == "staff")
        if role not in ("staff", "aucun"):
            Membership.objects.create(user=user, collectivite=collectivite, role=role)
    print(json.dumps({"collectivite_id": collectivite.pk}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
