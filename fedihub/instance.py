"""Creating a data directory: config, database, the instance actor that signs our GETs and the
newswire's actor (made later too, for a data directory from before it existed)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from fedihub.actors import store
from fedihub.actors.keyring import generate_rsa_keypair
from fedihub.actors.model import NEWSWIRE_USERNAME
from fedihub.clock import SYSTEM_CLOCK, Clock
from fedihub.config import CONFIG_FILE, Config, load_config, validate_domain, write_config
from fedihub.db import Database
from fedihub.engine import open_database
from fedihub.errors import ConfigError

log = logging.getLogger(__name__)


def _create_data_dir(data_dir: Path, domain: str, insecure_http: bool, database: str) -> Config:
    if (data_dir / CONFIG_FILE).exists():
        raise ConfigError("%(data)s is already a fedihub data directory", data=str(data_dir))
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "media").mkdir(exist_ok=True)
    write_config(data_dir, domain, insecure_http, database)
    return load_config(data_dir)


async def init_instance(
    data_dir: Path, domain: str, insecure_http: bool, database: str = ""
) -> Config:
    """A new data directory; `database` (a postgresql:// URL) keeps the data in PostgreSQL."""
    domain = validate_domain(domain, insecure_http)
    config = await asyncio.to_thread(_create_data_dir, data_dir, domain, insecure_http, database)
    db = await open_database(config.database_target)
    try:
        public_pem, private_pem = generate_rsa_keypair()
        async with db.transaction() as tx:
            await store.insert_actor(
                tx,
                kind="application",
                # Mastodon names its instance actor after the domain; dots keep it apart from
                # every hub and account name.
                username=config.host,
                name=config.instance_name,
                summary="The instance actor: it signs this server's requests.",
                manually_approves_followers=True,
                public_key_pem=public_pem,
                private_key_pem=private_pem,
                created_at=SYSTEM_CLOCK.now(),
            )
        await ensure_newswire(db, SYSTEM_CLOCK)
    finally:
        await db.close()
    return config


async def ensure_newswire(db: Database, clock: Clock) -> None:
    """The newswire's actor, made once: at `init`, or by the first process of a data directory
    from before the newswire. Two processes starting together make it once (the instance
    actor's row is locked while one checks and writes)."""
    if await store.get_actor(db, "service", NEWSWIRE_USERNAME) is not None:
        return
    if await store.get_actor_by_username(db, NEWSWIRE_USERNAME) is not None:
        log.warning("a hub or account is named %r, so this instance has no newswire",
                    NEWSWIRE_USERNAME)  # fmt: skip
        return
    public_pem, private_pem = await asyncio.to_thread(generate_rsa_keypair)
    async with db.transaction() as tx:
        await store.lock_actor(tx, None)
        if await store.username_in_use(tx, NEWSWIRE_USERNAME):
            return
        await store.insert_actor(
            tx, kind="service", username=NEWSWIRE_USERNAME, name="Newswire",
            summary="News from the movements on this instance and beyond. Anyone may submit"
                    " news; follow to get it as it is published.",
            manually_approves_followers=False, public_key_pem=public_pem,
            private_key_pem=private_pem, created_at=clock.now(),
        )  # fmt: skip
