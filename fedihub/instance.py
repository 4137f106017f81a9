"""Creating a data directory: config, database, and the instance actor that signs our GETs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fedihub.actors import store
from fedihub.actors.keyring import generate_rsa_keypair
from fedihub.clock import SYSTEM_CLOCK
from fedihub.config import CONFIG_FILE, Config, load_config, validate_domain, write_config
from fedihub.engine import open_database
from fedihub.errors import ConfigError


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
    finally:
        await db.close()
    return config
